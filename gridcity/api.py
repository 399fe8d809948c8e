"""The API's single exception handler: every error answers {code, message, details}; and the
API's answer to a client whose login is locked out."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.db import DatabaseError
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gridcity.errors import DomainError


class LoginLocked(Throttled):
    """HTTP Basic credentials of a username and address that login throttling has locked out:
    429 with Retry-After (the handler below adds it from ``wait``)."""

    default_code = "login_locked"

    def __init__(self, *, wait: int | None) -> None:
        super().__init__(detail=str(settings.AXES_COOLOFF_MESSAGE))
        self.wait = wait


def api_login_lockout(sender: Any, request: Any = None, **kwargs: Any) -> None:
    """django-axes' ``user_locked_out`` signal (connected in GridCityConfig.ready): a locked-out
    API request is refused with LoginLocked, in the API's error shape. Axes sends the signal
    while DRF authenticates, so the exception becomes the API's answer; the login page's
    request is a plain HttpRequest and keeps axes' own lockout page."""
    if not isinstance(request, Request):
        return
    # Every attempt during a lockout starts the cool-off again (axes' default), so the full
    # cool-off is when to come back.
    cool_off = get_cool_off(request)
    raise LoginLocked(wait=int(cool_off.total_seconds()) if cool_off else None)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(
            {"code": exc.code, "message": exc.message, "details": exc.details},
            status=exc.http_status,
        )
    if isinstance(exc, DatabaseError) and _is_unavailable(exc):
        return Response(
            {"code": "database_unavailable", "message": "数据库暂时不可用，请稍后重试。"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = getattr(exc, "default_code", "error")
    detail = response.data
    message = detail.get("detail", "") if isinstance(detail, dict) else ""
    response.data = {
        "code": str(getattr(detail, "code", None) or code),
        "message": str(message) or str(getattr(exc, "default_detail", "")),
        "details": detail if not message else {},
    }
    return response


def _is_unavailable(exc: DatabaseError) -> bool:
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError)

"""The API's single exception handler: every error answers {code, message, details}."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from gridcity.errors import DomainError


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

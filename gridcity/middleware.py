"""Language choice (pages speak Simplified Chinese unless the person chose English), and the
answer of a page whose database is unavailable."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Pages ignore the browser's Accept-Language: staff machines often run English systems,
    yet the city works in Chinese. The language switch (a cookie) still wins, and API clients
    may still negotiate with Accept-Language."""

    API_PREFIXES = ("/api/", "/open311/")

    def process_request(self, request: HttpRequest) -> None:
        if not request.path.startswith(self.API_PREFIXES):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)


class DatabaseUnavailableMiddleware:
    """A page whose database went away (a restart, a failover) answers 503 with Retry-After, as
    the API does (gridcity.api), instead of a server error: the load balancer and the person
    both learn to try again in a moment. Must come after the session and auth middleware, whose
    lazy lookups fail inside the view."""

    RETRY_AFTER_SECONDS = 5

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable for %s: %s", request.path, exception)
        message = _("数据库暂时不可用，请稍后重试。")
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                {"code": "database_unavailable", "message": str(message), "details": {}},
                status=503,
            )
        elif request.path.startswith("/open311/"):
            response = JsonResponse([{"code": 503, "description": str(message)}], safe=False)
            response.status_code = 503
        else:
            # Nothing that needs the database (no base template, no user menu).
            response = HttpResponse(
                format_html(
                    '<!doctype html><html lang="{}"><meta charset="utf-8"><title>{}</title>'
                    "<h1>{}</h1><p>{}</p></html>",
                    get_language() or "zh-hans",
                    _("服务暂时不可用"),
                    _("服务暂时不可用"),
                    message,
                ),
                status=503,
            )
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        return response

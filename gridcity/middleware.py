"""Language choice: pages speak Simplified Chinese unless the person chose English."""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Pages ignore the browser's Accept-Language: staff machines often run English systems,
    yet the city works in Chinese. The language switch (a cookie) still wins, and API clients
    may still negotiate with Accept-Language."""

    API_PREFIXES = ("/api/", "/open311/")

    def process_request(self, request: HttpRequest) -> None:
        if not request.path.startswith(self.API_PREFIXES):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)

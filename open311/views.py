"""The Open311 GeoReport v2 endpoints: each parses its input (open311.forms), calls one selector
or service, and answers in the format its suffix names. Every domain error becomes the
specification's error list: 403 for keys, 404 for unknown resources, 429 for the rate limit,
400 for everything else."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cases import clock
from gridcity.errors import DomainError, NotFound, NotPermitted
from open311 import forms, present, selectors, services
from open311.media import media_photo_id
from open311.throttle import RateLimited, rate_limit_check

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def respond(
    fmt: str, data: Any, *, root: str, item: str | None = None, status: int = 200
) -> HttpResponse:
    if fmt == "xml":
        body = present.xml_document(root, data, item=item)
    else:
        body = json.dumps(data, ensure_ascii=False).encode()
    return HttpResponse(body, content_type=CONTENT_TYPES[fmt], status=status)


def error_response(fmt: str, status: int, message: str) -> HttpResponse:
    return respond(
        fmt, present.error_items(status, message), root="errors", item="error", status=status
    )


def http_status(exc: DomainError) -> int:
    if isinstance(exc, RateLimited):
        return 429
    if isinstance(exc, NotPermitted):
        return 403
    if isinstance(exc, NotFound):
        return 404
    return 400


def endpoint(*methods: str) -> Callable:
    """Allowed methods, no CSRF (clients authenticate by key, never by cookie), and errors in
    the specification's shape."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(
            request: HttpRequest, *args: Any, fmt: str | None = None, **kwargs: Any
        ) -> HttpResponse:
            fmt = fmt or "json"
            if request.method not in methods:
                response = error_response(fmt, 405, _("不支持的请求方法。"))
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except DomainError as exc:
                response = error_response(fmt, http_status(exc), exc.message)
                if isinstance(exc, RateLimited):
                    response["Retry-After"] = str(exc.details.get("retry_after", 60))
                return response
            except (
                RequestDataTooBig,
                TooManyFieldsSent,
                TooManyFilesSent,
                MultiPartParserError,
            ):
                return error_response(fmt, 400, _("请求体过大或格式不正确。"))

        return wrapper

    return decorate


def _absolute(request: HttpRequest) -> Callable[[str], str]:
    return request.build_absolute_uri


@endpoint("GET")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    changeset = present.when(selectors.services_changed_at() or clock.now())
    data = {
        "changeset": changeset,
        "contact": settings.GRIDCITY_OPEN311_CONTACT,
        "key_service": settings.GRIDCITY_OPEN311_KEY_SERVICE,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.build_absolute_uri("/open311/v2/"),
                "changeset": changeset,
                "type": settings.GRIDCITY_OPEN311_ENDPOINT_TYPE,
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, data, root="discovery")


@endpoint("GET")
def service_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    forms.jurisdiction_parse(request.GET)
    data = [present.service_item(service) for service in selectors.service_list()]
    return respond(fmt, data, root="services", item="service")


@endpoint("GET")
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    forms.jurisdiction_parse(request.GET)
    service = selectors.service_get(code=code)
    return respond(fmt, present.service_definition(service), root="service_definition")


@endpoint("GET", "POST")
def requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _request_create(request, fmt=fmt)
    query = forms.request_query_parse(request.GET, now=clock.now())
    absolute = _absolute(request)
    data = [present.request_item(case, absolute) for case in selectors.request_list(query=query)]
    return respond(fmt, data, root="service_requests", item="request")


def _request_create(request: HttpRequest, *, fmt: str) -> HttpResponse:
    data = request.POST
    api_key = forms.text(data.get("api_key"), name="api_key", max_length=200)
    client = services.client_authenticate(api_key=api_key)
    rate_limit_check(client_id=client.pk)
    district = forms.jurisdiction_parse(data)
    submission = forms.submission_parse(data, request.FILES.getlist("media"))
    row = services.request_submit(client=client, submission=submission, district=district)
    answer = {
        "service_request_id": row.case.number,
        "token": row.token,
        "service_notice": _("已收到，将由网格监督员到现场核实。"),
        "account_id": row.account_id or None,
    }
    return respond(fmt, [answer], root="service_requests", item="request", status=201)


@endpoint("GET")
def request_detail(request: HttpRequest, number: str, *, fmt: str) -> HttpResponse:
    district = forms.jurisdiction_parse(request.GET)
    case = selectors.request_get(number=number, district=district)
    return respond(
        fmt,
        [present.request_item(case, _absolute(request))],
        root="service_requests",
        item="request",
    )


@endpoint("GET")
def token_detail(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    forms.jurisdiction_parse(request.GET)
    row = selectors.request_for_token(token=token)
    data = [{"service_request_id": row.case.number, "token": row.token}]
    return respond(fmt, data, root="service_requests", item="request")


@endpoint("GET")
def request_updates(request: HttpRequest, *, fmt: str) -> HttpResponse:
    query = forms.request_query_parse(request.GET, now=clock.now())
    absolute = _absolute(request)
    data = [present.update_item(event, absolute) for event in selectors.updates_list(query=query)]
    return respond(fmt, data, root="service_request_updates", item="request_update")


@endpoint("GET")
def media(request: HttpRequest, token: str, ext: str, *, fmt: str) -> HttpResponse:
    """A public request's photo, by the signed address its media_url gave."""
    photo = selectors.public_photo_get(photo_id=media_photo_id(token))
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type or "image/jpeg")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def not_found(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return error_response(fmt, 404, _("没有这个 Open311 资源。"))

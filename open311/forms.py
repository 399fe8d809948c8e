"""Input of the Open311 endpoints: query strings and posted forms parsed into typed values, or
ValidationFailed naming what is wrong. Nothing a client sends reaches a query unchecked (NUL
bytes, for one, would make PostgreSQL fail)."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import EmailValidator, URLValidator
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from cases.photos import max_bytes, photo_upload_read
from gridcity.errors import NotFound, ValidationFailed
from gridcity.geo import make_point
from grids.models import Area
from grids.selectors import grid_by_code
from open311 import selectors
from open311.selectors import RequestQuery
from open311.services import Contact, Submission

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# An HTML/XML tag, comment or declaration; "a < b" and "<3" are plain text and pass.
MARKUP = re.compile(r"<\s*[/!?]?\s*[A-Za-z][^>]*>|<!--")
REQUEST_ID = re.compile(r"^[0-9]{10,16}$")
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
DESCRIPTION_MAX = 4000
MAX_LIST = 100
MAX_PAGE = 10_000


def window_days() -> int:
    return int(getattr(settings, "GRIDCITY_OPEN311_WINDOW_DAYS", 90))


def page_size_limits() -> tuple[int, int]:
    """(default, maximum) page size."""
    return (
        int(getattr(settings, "GRIDCITY_OPEN311_PAGE_SIZE", 50)),
        int(getattr(settings, "GRIDCITY_OPEN311_MAX_PAGE_SIZE", 200)),
    )


def text(value: str | None, *, name: str, max_length: int, multiline: bool = False) -> str:
    """A clean single value: no control characters, within its length."""
    value = (value or "").strip()
    if CONTROL.search(value) or (not multiline and ("\n" in value or "\r" in value)):
        raise ValidationFailed(
            _("参数 %(name)s 含有不允许的控制字符。") % {"name": name}, code="invalid_characters"
        )
    if len(value) > max_length:
        raise ValidationFailed(
            _("参数 %(name)s 不能超过 %(n)d 个字符。") % {"name": name, "n": max_length},
            code="too_long",
        )
    return value


def _integer(value: str | None, *, name: str, default: int, low: int, high: int) -> int:
    if value in (None, ""):
        return default
    value = text(value, name=name, max_length=12)
    if not re.fullmatch(r"[0-9]+", value) or not low <= int(value) <= high:
        raise ValidationFailed(
            _("参数 %(name)s 应为 %(low)d 到 %(high)d 之间的整数。")
            % {"name": name, "low": low, "high": high},
            code="invalid_integer",
        )
    return int(value)


def _moment(value: str | None, *, name: str) -> datetime | None:
    """An ISO 8601 date-time (naive ones are in the city's time zone) or a date (its start)."""
    value = text(value, name=name, max_length=40)
    if not value:
        return None
    try:
        moment = parse_datetime(value)
        day = None if moment else parse_date(value)
    except ValueError:
        moment = day = None
    if moment is None and day is not None:
        moment = datetime(day.year, day.month, day.day)
    if moment is None:
        raise ValidationFailed(
            _("参数 %(name)s 应为 ISO 8601 日期时间，例如 2026-11-01T08:00:00+08:00。")
            % {"name": name},
            code="invalid_datetime",
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _list(value: str | None, *, name: str) -> tuple[str, ...]:
    items = tuple(
        dict.fromkeys(i.strip() for i in text(value, name=name, max_length=4000).split(",") if i)
    )
    if len(items) > MAX_LIST:
        raise ValidationFailed(
            _("参数 %(name)s 最多 %(n)d 项。") % {"name": name, "n": MAX_LIST}, code="too_many"
        )
    return items


def jurisdiction_parse(params: QueryDict) -> Area | None:
    code = text(params.get("jurisdiction_id"), name="jurisdiction_id", max_length=12)
    return selectors.jurisdiction_get(code=code) if code else None


def request_query_parse(params: QueryDict, *, now: datetime) -> RequestQuery:
    """GET requests (and servicerequestupdates): ids win over every other filter, as the
    specification says; otherwise a window of at most the configured days, the last ones by
    default (one end given: the window runs the full length from it)."""
    district = jurisdiction_parse(params)
    default_size, max_size = page_size_limits()
    page = _integer(params.get("page"), name="page", default=1, low=1, high=MAX_PAGE)
    page_size = _integer(
        params.get("page_size"), name="page_size", default=default_size, low=1, high=max_size
    )
    ids = _list(params.get("service_request_id"), name="service_request_id")
    for number in ids:
        if not REQUEST_ID.match(number):
            raise ValidationFailed(
                _("service_request_id “%(id)s” 格式不正确。") % {"id": number},
                code="invalid_request_id",
            )
    if ids:
        return RequestQuery(ids=ids, page=page, page_size=page_size, district=district)
    service_codes = _list(params.get("service_code"), name="service_code")
    published = selectors.service_list().filter(code__in=service_codes)
    known = set(published.values_list("code", flat=True))
    unknown = [code for code in service_codes if code not in known]
    if unknown:
        raise ValidationFailed(
            _("未知的服务编码：%(codes)s") % {"codes": "、".join(unknown)}, code="service_unknown"
        )
    statuses = set(_list(params.get("status"), name="status"))
    if not statuses <= {"open", "closed"}:
        raise ValidationFailed(_("status 只能是 open 或 closed。"), code="invalid_status")
    status = statuses.pop() if len(statuses) == 1 else ""
    start = _moment(params.get("start_date"), name="start_date")
    end = _moment(params.get("end_date"), name="end_date")
    span = timedelta(days=window_days())
    if start is None and end is None:
        end = now
    try:
        if start is None:
            start = end - span
        if end is None:
            end = start + span
    except OverflowError as exc:
        raise ValidationFailed(_("日期超出可处理的范围。"), code="invalid_datetime") from exc
    if end < start:
        raise ValidationFailed(_("end_date 不能早于 start_date。"), code="invalid_window")
    if end - start > span:
        raise ValidationFailed(
            _("start_date 与 end_date 最多相隔 %(n)d 天。") % {"n": window_days()},
            code="window_too_long",
        )
    return RequestQuery(
        service_codes=service_codes,
        status=status,
        start=start,
        end=end,
        page=page,
        page_size=page_size,
        district=district,
    )


def _coordinate(value: str, *, name: str) -> float:
    value = text(value, name=name, max_length=40)
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ValidationFailed(
            _("参数 %(name)s 应为 WGS84 十进制度数。") % {"name": name}, code="invalid_coordinate"
        )
    return number


def location_parse(data: QueryDict) -> Point:
    """lat+long first; then address_id, a grid code (a point inside that grid); then an
    address_string that is exactly a grid code. No other geocoding: the platform calls no
    outside service."""
    lat, lon = data.get("lat", ""), data.get("long", "")
    if lat or lon:
        try:
            return make_point(lon=_coordinate(lon, name="long"), lat=_coordinate(lat, name="lat"))
        except ValueError as exc:
            raise ValidationFailed(
                _("经纬度超出范围（纬度 -90..90，经度 -180..180）。"), code="invalid_coordinate"
            ) from exc
    address_id = text(data.get("address_id"), name="address_id", max_length=20)
    address = text(data.get("address_string"), name="address_string", max_length=200)
    code = address_id or (address if re.fullmatch(r"[0-9]{14,15}", address) else "")
    if not code:
        raise ValidationFailed(
            _("请提供位置：lat 和 long，或 address_id（单元网格编码）。本平台无法按文字地址定位。"),
            code="location_required",
        )
    try:
        grid = grid_by_code(code=code)
    except NotFound as exc:
        raise ValidationFailed(exc.message, code="address_unknown") from exc
    point = grid.boundary.point_on_surface
    return make_point(lon=point.x, lat=point.y)


def _description(value: str | None, default: str) -> str:
    value = text(value, name="description", max_length=DESCRIPTION_MAX, multiline=True)
    if MARKUP.search(value):
        raise ValidationFailed(
            _("description 只接受纯文本，不能包含 HTML 或其他标记。"), code="markup_refused"
        )
    return value or default


def _answers(data: QueryDict) -> dict[str, object]:
    answers: dict[str, object] = {}
    for key in data:
        match = ATTRIBUTE_KEY.match(key)
        if match is None:
            continue
        code = text(match.group(1), name="attribute", max_length=50)
        many = bool(match.group(2))
        values = [text(v, name=key, max_length=4000, multiline=True) for v in data.getlist(key)]
        answers[code] = values if many or len(values) > 1 else values[0]
    return answers


def _photos(files: list[UploadedFile]) -> list[bytes]:
    limit = max_bytes()
    photos = []
    for index, upload in enumerate(files, start=1):
        if upload.size is not None and upload.size > limit:
            raise ValidationFailed(
                _("第 %(n)d 张照片过大（%(size)d 字节，上限 %(max)d）。")
                % {"n": index, "size": upload.size, "max": limit},
                code="photo_too_large",
            )
        photos.append(photo_upload_read(upload, index=index))
    return photos


def submission_parse(data: QueryDict, files: list[UploadedFile]) -> Submission:
    """POST requests: the service, the location, the plain-text description, the contact,
    the attribute answers and the uploaded photos (field ``media``, repeatable)."""
    code = text(data.get("service_code"), name="service_code", max_length=32)
    if not code:
        raise ValidationFailed(_("缺少 service_code。"), code="service_code_required")
    try:
        service = selectors.service_get(code=code)
    except NotFound as exc:
        raise ValidationFailed(exc.message, code="service_unknown") from exc
    location = location_parse(data)
    email = text(data.get("email"), name="email", max_length=254)
    if email:
        try:
            EmailValidator()(email)
        except DjangoValidationError as exc:
            raise ValidationFailed(_("email 格式不正确。"), code="invalid_email") from exc
    media_url = text(data.get("media_url"), name="media_url", max_length=500)
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except DjangoValidationError as exc:
            raise ValidationFailed(_("media_url 格式不正确。"), code="invalid_media_url") from exc
    return Submission(
        service=service,
        description=_description(data.get("description"), service.display_name),
        location=location,
        address_string=text(data.get("address_string"), name="address_string", max_length=200),
        media_url=media_url,
        contact=Contact(
            first_name=text(data.get("first_name"), name="first_name", max_length=100),
            last_name=text(data.get("last_name"), name="last_name", max_length=100),
            email=email,
            phone=text(data.get("phone"), name="phone", max_length=40),
            device_id=text(data.get("device_id"), name="device_id", max_length=200),
            account_id=text(data.get("account_id"), name="account_id", max_length=200),
        ),
        answers=_answers(data),
        photos=_photos(files),
    )

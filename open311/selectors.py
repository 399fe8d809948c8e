"""Reads of the Open311 app. Public reads see only cases of published services from the sources
the city publishes (GRIDCITY_OPEN311_PUBLIC_SOURCES), and never contact data or internal notes:
what a case may show publicly is decided here and in open311.present, nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Exists, F, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from cases.models import Case, CaseEvent, CasePhoto
from cases.workflow import TERMINAL_STATUSES
from gridcity.errors import NotFound
from grids import codes
from grids.models import Area
from open311.models import Attribute, Request, Service

CLOSED = [str(s) for s in TERMINAL_STATUSES]


def public_sources() -> list[str]:
    return list(getattr(settings, "GRIDCITY_OPEN311_PUBLIC_SOURCES", ["open311"]))


# ---------------------------------------------------------------- services


def service_list() -> QuerySet[Service]:
    return (
        Service.objects.published()
        .select_related("category")
        .annotate(has_attributes=Exists(Attribute.objects.filter(service=OuterRef("pk"))))
    )


def service_get(*, code: str) -> Service:
    service = (
        service_list()
        .prefetch_related(
            Prefetch("attributes", queryset=Attribute.objects.order_by("order", "code"))
        )
        .filter(code=code)
        .first()
    )
    if service is None:
        raise NotFound(_("服务 %(code)s 不存在。") % {"code": code}, code="service_not_found")
    return service


def services_changed_at() -> datetime | None:
    """When the published service list last changed (the discovery changeset)."""
    times = [
        Service.objects.aggregate(m=Max("updated_at"))["m"],
        Attribute.objects.aggregate(m=Max("updated_at"))["m"],
    ]
    return max((t for t in times if t is not None), default=None)


def jurisdiction_get(*, code: str) -> Area:
    """The district a jurisdiction_id names: 400 when malformed, 404 when unknown."""
    codes.validate_district_code(code)
    area = Area.objects.districts().filter(code=code).first()
    if area is None:
        raise NotFound(_("辖区 %(code)s 不存在。") % {"code": code}, code="jurisdiction_not_found")
    return area


# ---------------------------------------------------------------- requests


@dataclass(frozen=True)
class RequestQuery:
    """A parsed GET requests (open311.forms.request_query_parse)."""

    ids: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    status: str = ""  # "", "open" or "closed"
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    page_size: int = 50
    district: Area | None = None


def _public(*, district: Area | None = None, prefix: str = "") -> Q:
    """The cases the public endpoints may show, as a filter (``prefix`` for related lookups)."""
    visible = Q(
        **{
            f"{prefix}category__open311_service__is_published": True,
            f"{prefix}source__in": public_sources(),
        }
    )
    if district is not None:
        visible &= Q(**{f"{prefix}grid__code__startswith": district.code})
    return visible


def status_events() -> QuerySet[CaseEvent]:
    """The events that changed a case's status (the report included): its public history."""
    return CaseEvent.objects.exclude(from_status=F("to_status"))


def public_cases(*, district: Area | None = None) -> QuerySet[Case]:
    """Every case the public endpoints may show, with what a request shows."""
    return (
        Case.objects.filter(_public(district=district))
        .select_related("category__open311_service", "lead_department", "grid")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=CasePhoto.objects.filter(stage=CasePhoto.Stage.REPORT).order_by(
                    "created_at", "pk"
                ),
                to_attr="report_photos",
            ),
            Prefetch(
                "events", queryset=status_events().order_by("sequence"), to_attr="status_events"
            ),
        )
    )


def request_list(*, query: RequestQuery) -> QuerySet[Case]:
    cases = public_cases(district=query.district)
    if query.ids:
        return cases.filter(number__in=query.ids).order_by("-reported_at", "-pk")
    if query.service_codes:
        cases = cases.filter(category__open311_service__code__in=query.service_codes)
    if query.status == "open":
        cases = cases.exclude(status__in=CLOSED)
    elif query.status == "closed":
        cases = cases.filter(status__in=CLOSED)
    if query.start is not None:
        cases = cases.filter(reported_at__gte=query.start)
    if query.end is not None:
        cases = cases.filter(reported_at__lte=query.end)
    offset = (query.page - 1) * query.page_size
    return cases.order_by("-reported_at", "-pk")[offset : offset + query.page_size]


def request_get(*, number: str, district: Area | None = None) -> Case:
    case = public_cases(district=district).filter(number=number).first()
    if case is None:
        raise NotFound(_("服务请求 %(id)s 不存在。") % {"id": number}, code="request_not_found")
    return case


def public_photo_get(*, photo_id: int) -> CasePhoto:
    """A photo of a case the public endpoints show (its report, or a status change's photo),
    or NotFound: a case no longer published takes its photos' links down with it."""
    photo = (
        CasePhoto.objects.filter(pk=photo_id, case__in=Case.objects.filter(_public()))
        .only("image", "content_type")
        .first()
    )
    if photo is None:
        raise NotFound(_("照片不存在或不在您的权限范围内。"), code="photo_not_found")
    return photo


def request_for_token(*, token: str) -> Request:
    row = Request.objects.select_related("case").filter(token=token).first()
    if row is None:
        raise NotFound(_("令牌 %(t)s 不存在。") % {"t": token}, code="token_not_found")
    return row


def updates_list(*, query: RequestQuery) -> QuerySet[CaseEvent]:
    """Status changes of public requests (the servicerequestupdates extension), oldest first:
    every change of the requests named by id, or the changes made within the query's window."""
    events = status_events().filter(_public(district=query.district, prefix="case__"))
    if query.ids:
        events = events.filter(case__number__in=query.ids)
    else:
        if query.start is not None:
            events = events.filter(created_at__gte=query.start)
        if query.end is not None:
            events = events.filter(created_at__lte=query.end)
    offset = (query.page - 1) * query.page_size
    return (
        events.select_related("case")
        .prefetch_related(Prefetch("photos", queryset=CasePhoto.objects.order_by("pk")))
        .order_by("created_at", "case_id", "sequence")[offset : offset + query.page_size]
    )

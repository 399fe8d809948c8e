"""The report pages: overview with trends, tables by dimension with scores and ranks, the heat
map, the cases behind any number, and exports with progress. Thin: parse, call, render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gridcity.errors import NotFound, NotPermitted, ValidationFailed
from reports import services
from reports.indices import (
    AREA_DIMENSIONS,
    DIMENSIONS,
    HEADLINE_RATES,
    MEASURES,
    PERSON_DIMENSIONS,
    RATE_BY_KEY,
    RATES,
    TREND_RATES,
    Options,
    Period,
    PeriodKind,
    convention_text,
    rates_for,
)
from reports.models import ReportExport
from reports.selectors import (
    cases_behind,
    dimension_get,
    facts_for_scope,
    heat_grids,
    heat_points,
    overview_build,
    report_build,
    report_scope,
    unit_label,
)

PAGE_SIZE = 50
# Units per page of a ranking (10,000 grids would be 280,000 linked cells); ranks are computed
# over all units before paging, and exports hold every unit.
RANKING_PAGE_SIZE = 100
TABLE_DIMENSIONS = (
    "department",
    *AREA_DIMENSIONS,
    *PERSON_DIMENSIONS,
    "kind",
    "major",
    "minor",
    "source",
)


def reader(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in people who may read reports; their facts are scoped once per request."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            request.report_facts = facts_for_scope(report_scope(user=request.user))  # type: ignore[attr-defined]
        except NotPermitted as exc:
            raise PermissionDenied(str(exc)) from exc
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(str(exc)) from exc

    return wrapped


def _period(request: HttpRequest) -> Period:
    try:
        return services.period_parse(request.GET)
    except ValidationFailed as exc:
        messages.error(request, str(exc))
        return services.period_parse({})


def _period_query(period: Period) -> str:
    if period.kind == PeriodKind.CUSTOM:
        return urlencode({"kind": period.kind, "first": period.first, "last": period.last})
    return urlencode({"kind": period.kind, "day": period.first})


def _common(request: HttpRequest, period: Period) -> dict[str, Any]:
    return {
        "period": period,
        "period_query": _period_query(period),
        "kinds": PeriodKind.CHOICES,
        "table_dimensions": [DIMENSIONS[d] for d in TABLE_DIMENSIONS],
        "formats": ReportExport.Format.choices,
    }


@require_GET
@reader
def home(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    options = Options.from_settings()
    overview = overview_build(
        facts=request.report_facts,  # type: ignore[attr-defined]
        period=period,
        count=settings.GRIDCITY_REPORTS_TREND_PERIODS,
        rates=TREND_RATES,
        options=options,
    )
    report, trend = overview.report, overview.trend
    chart = {
        "labels": [label for label, _rates in trend],
        "series": [
            {
                "name": str(RATE_BY_KEY[key].label),
                "data": [float(r[key]) if r[key] is not None else None for _l, r in trend],
            }
            for key in TREND_RATES
        ],
    }
    headline = [(RATE_BY_KEY[k], report.total.rates[k]) for k in HEADLINE_RATES]
    others = [(r, report.total.rates[r.key]) for r in RATES if r.key not in HEADLINE_RATES]
    return render(
        request,
        "reports/home.html",
        {
            **_common(request, period),
            "report": report,
            "convention": report.convention,
            "headline": headline,
            "others": others,
            "counts": report.total.counts,
            "chart": chart,
            "dimension": DIMENSIONS["city"],
        },
    )


@require_GET
@reader
def table(request: HttpRequest, dimension: str) -> HttpResponse:
    period = _period(request)
    dim = dimension_get(dimension)
    report = report_build(
        facts=request.report_facts,  # type: ignore[attr-defined]
        period=period,
        dimension=dim,
        options=Options.from_settings(),
    )
    rates = rates_for(dim)
    volume = "due" if "due" in dim.measures else (rates[0].denominator if rates else "")
    chart = {
        "labels": [row.label for row in report.rows[:20]],
        "values": [row.counts.get(volume, 0) for row in report.rows[:20]] if volume else [],
        "name": str(MEASURES[volume]) if volume else "",
    }
    return render(
        request,
        "reports/table.html",
        {
            **_common(request, period),
            "report": report,
            "page": Paginator(report.rows, RANKING_PAGE_SIZE).get_page(request.GET.get("page")),
            "convention": report.convention,
            "dimension": dim,
            "rates": rates,
            "chart": chart,
        },
    )


@require_GET
@reader
def heatmap(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    points = heat_points(facts=request.report_facts, period=period)  # type: ignore[attr-defined]
    return render(
        request,
        "reports/heatmap.html",
        {
            **_common(request, period),
            "points": points,
            "grids": heat_grids(facts=request.report_facts, period=period),  # type: ignore[attr-defined]
            "total": sum(p[2] for p in points),
            "convention": _("热力图统计所选时段内上报的案件。"),
        },
    )


@require_GET
@reader
def case_list(request: HttpRequest) -> HttpResponse:
    period = _period(request)
    dim = dimension_get(request.GET.get("dimension") or "city")
    measure = request.GET.get("measure", "")
    key = request.GET.get("key", "")
    options = Options.from_settings()
    cases = cases_behind(
        facts=request.report_facts,  # type: ignore[attr-defined]
        period=period,
        dimension=dim,
        key=key,
        measure=measure,
        options=options,
    )
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(
        request,
        "reports/cases.html",
        {
            **_common(request, period),
            "page": page,
            "measure_label": MEASURES[measure],
            "dimension": dim,
            "unit_label": unit_label(dim, key),
            "convention": convention_text(options),
            "keep_query": keep.urlencode(),
        },
    )


@require_POST
@reader
def export_create(request: HttpRequest) -> HttpResponse:
    try:
        export = services.export_request(
            user=request.user,  # type: ignore[arg-type]
            params=request.POST.dict(),
            format=request.POST.get("format", ""),
        )
    except ValidationFailed as exc:
        messages.error(request, str(exc))
        return redirect("reports:home")
    return redirect("reports:export_detail", export_id=export.pk)


@require_GET
@reader
def export_detail(request: HttpRequest, export_id: int) -> HttpResponse:
    export = services.export_get_for_user(user=request.user, export_id=export_id)  # type: ignore[arg-type]
    return render(
        request,
        "reports/export.html",
        {"export": export, "title": services.export_title(export)},
    )


@require_GET
@reader
def export_status(request: HttpRequest, export_id: int) -> JsonResponse:
    export = services.export_get_for_user(user=request.user, export_id=export_id)  # type: ignore[arg-type]
    return JsonResponse(
        {
            "state": export.state,
            "state_label": export.get_state_display(),
            "progress": export.progress,
            "error": export.error,
            "download": (
                reverse("reports:export_download", args=[export.pk])
                if export.state == ReportExport.State.DONE
                else None
            ),
        }
    )


@require_GET
@reader
def export_download(request: HttpRequest, export_id: int) -> FileResponse:
    export = services.export_get_for_user(user=request.user, export_id=export_id)  # type: ignore[arg-type]
    if export.state != ReportExport.State.DONE or not export.file:
        raise Http404(_("文件尚未生成。"))
    return FileResponse(
        export.file.open("rb"),
        as_attachment=True,
        filename=export.file.name.rsplit("/", 1)[-1],
    )

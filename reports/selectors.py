"""Reads of the reports app: the facts a reader may see (through departments' user_scope), a
report table for a period and a dimension with scores and ranks, the overview with its trend,
the heat map, and the cases behind any number."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.facts import CaseFact
from cases.models import Case
from cases.workflow import Source
from departments.models import Department
from departments.roles import Role
from departments.selectors import Scope, user_scope
from gridcity.errors import NotFound, NotPermitted
from grids.models import Area, Category
from reports.counting import Counts, count_periods, count_table
from reports.indices import (
    AREA_DIMENSIONS,
    DIMENSIONS,
    MEASURES,
    PERSON_DIMENSIONS,
    Dimension,
    Options,
    Period,
    convention_text,
    measure_q,
    measures_of,
    periods_trend,
    rates_for,
    rates_of,
    unit_filter,
)
from reports.models import GradeBand, ScoreScheme, ScoreWeight

REPORT_ROLES = frozenset(
    {
        Role.SUPERVISOR,
        Role.DEPARTMENT_LEAD,
        Role.ACCEPTOR,
        Role.SHIFT_LEADER,
        Role.DISPATCHER,
        Role.ADMINISTRATOR,
    }
)


def report_scope(*, user: AbstractBaseUser | AnonymousUser) -> Scope:
    scope = user_scope(user=user, on=timezone.localdate())
    if not scope.roles & REPORT_ROLES:
        raise NotPermitted(_("只有监督考核人员、部门负责人和指挥中心可以查看考核报表。"))
    return scope


def facts_for_scope(scope: Scope) -> QuerySet[CaseFact]:
    """Supervisors see their areas, department leads their department(s), the command centre
    and administrators everything."""
    facts = CaseFact.objects.all()
    if scope.sees_all or (scope.has(Role.SUPERVISOR) and scope.sees_all_areas):
        return facts
    visible = Q(pk__in=[])
    if scope.has(Role.SUPERVISOR):
        for code in scope.area_codes:
            visible |= Q(grid_code__startswith=code)
    if scope.has(Role.DEPARTMENT_LEAD) and scope.department_ids:
        visible |= Q(lead_department_id__in=scope.department_ids)
    return facts.filter(visible)


def facts_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[CaseFact]:
    return facts_for_scope(report_scope(user=user))


# ---------------------------------------------------------------- report tables
@dataclass
class Row:
    key: str
    label: str
    counts: dict[str, int]
    rates: dict[str, Decimal | None]
    score: Decimal | None = None
    grade: str = ""
    rank: int | None = None
    sample: int = 0
    ranked: bool = False


@dataclass
class Report:
    """A report table: a row per unit (scored and ranked where the dimension has a scheme) and
    the total over all the reader's facts (under person dimensions, of the dimension's measures
    only)."""

    period: Period
    dimension: Dimension
    convention: str
    rows: list[Row]
    total: Row
    scheme: ScoreScheme | None = None
    min_sample: int = 0
    measures: tuple[str, ...] = field(default_factory=tuple)


def dimension_get(key: str) -> Dimension:
    try:
        return DIMENSIONS[key]
    except KeyError as exc:
        raise NotFound(_("没有这个统计维度。"), code="dimension_not_found") from exc


def _labels(dimension: Dimension, keys: list[str]) -> dict[str, str]:
    d = dimension.key
    if d == "department":
        ids = [int(k) for k in keys if k]
        return {
            str(p): n for p, n in Department.objects.filter(pk__in=ids).values_list("pk", "name")
        }
    if d in AREA_DIMENSIONS and d != "grid":
        return {
            c: f"{n}（{c}）"
            for c, n in Area.objects.filter(code__in=keys).values_list("code", "name")
        }
    if d in PERSON_DIMENSIONS:
        ids = [int(k) for k in keys if k]
        users = get_user_model().objects.filter(pk__in=ids)
        return {str(u.pk): u.get_full_name() or u.get_username() for u in users}
    if d == "minor":
        ids = [int(k) for k in keys if k]
        return {str(c.pk): f"{c.code} {c.name}" for c in Category.objects.filter(pk__in=ids)}
    if d == "kind":
        return {str(v): str(label) for v, label in Category.Kind.choices}
    if d == "major":
        names = {
            f"{k}:{m}": f"{Category.Kind(k).label} {m} {n}"
            for k, m, n in Category.objects.values_list(
                "kind", "major_code", "major_name"
            ).distinct()
        }
        return names
    if d == "source":
        return {str(v): str(label) for v, label in Source.choices}
    return {}


def unit_label(dimension: Dimension, key: str) -> str:
    """What a unit of a dimension is called (the city as a whole has no name of its own)."""
    if dimension.key == "city":
        return ""
    return _labels(dimension, [key]).get(key, key or "—")


SCHEME_TARGET = {
    "department": ScoreScheme.Target.DEPARTMENT,
    **dict.fromkeys(AREA_DIMENSIONS, ScoreScheme.Target.AREA),
    **{d: ScoreScheme.Target(d) for d in PERSON_DIMENSIONS},
}


def _score(row: Row, scheme_weights: list[ScoreWeight], max_volume: int) -> Decimal | None:
    total, weights = Decimal(0), Decimal(0)
    for weight in scheme_weights:
        if weight.rate == "volume":
            value: Decimal | None = (
                Decimal(row.sample) * 100 / Decimal(max_volume) if max_volume else None
            )
        else:
            value = row.rates.get(weight.rate)
        if value is None:
            continue  # nothing due for this rate: its weight is shared by the others
        if weight.inverted:
            value = Decimal(100) - value
        total += value * weight.weight
        weights += weight.weight
    if not weights:
        return None
    return (total / weights).quantize(Decimal("0.01"))


def grade_of(score: Decimal | None, bands: list[GradeBand]) -> str:
    if score is None:
        return ""
    for band in bands:  # highest first
        if score >= band.min_score:
            return band.grade
    return ""


def rows_score(rows: list[Row], scheme: ScoreScheme, *, min_sample: int) -> None:
    """Score every row, grade it, and rank those with a large enough sample (the others are
    shown unranked, so three lucky cases do not top the list)."""
    bands = list(GradeBand.objects.order_by("-min_score"))
    for row in rows:
        row.sample = row.counts.get(scheme.sample_measure, 0)
        row.ranked = row.sample >= min_sample
    max_volume = max((r.sample for r in rows), default=0)
    scheme_weights = list(scheme.weights.all())  # once: .all() per row costs a queryset each
    for row in rows:
        row.score = _score(row, scheme_weights, max_volume)
        row.grade = grade_of(row.score, bands)
    ranked = sorted(
        (r for r in rows if r.ranked and r.score is not None), key=lambda r: (-r.score, r.label)
    )
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, -(r.score or 0), r.label))


def report_build(
    *, facts: QuerySet[CaseFact], period: Period, dimension: Dimension, options: Options
) -> Report:
    """The table of ``dimension`` for ``period``: its units and total from one statement."""
    units, total = count_table(facts, period=period, dimension=dimension, options=options)
    return _report(units=units, total=total, period=period, dimension=dimension, options=options)


def _report(
    *,
    units: dict[str, Counts],
    total: Counts,
    period: Period,
    dimension: Dimension,
    options: Options,
) -> Report:
    scheme = None
    target = SCHEME_TARGET.get(dimension.key)
    if target is not None:
        scheme = ScoreScheme.objects.prefetch_related("weights").filter(target=target).first()
    # A unit's row holds the rates its table, its file and its score read (a ranking has up to
    # 10,000 rows); the total holds every rate, which the overview shows.
    wanted = {r.key for r in rates_for(dimension)}
    if scheme is not None:
        wanted |= {w.rate for w in scheme.weights.all()}
    keys = tuple(sorted(wanted))
    labels = _labels(dimension, list(units))
    rows = [
        Row(key=key, label=labels.get(key, key or "—"), counts=counts, rates=rates_of(counts, keys))
        for key, counts in units.items()
    ]
    total_row = Row(key="", label=_("合计"), counts=total, rates=rates_of(total))
    min_sample = settings.GRIDCITY_REPORTS_MIN_SAMPLE
    if scheme is not None:
        rows_score(rows, scheme, min_sample=min_sample)
    else:
        rows.sort(key=lambda r: r.label)
    return Report(
        period=period,
        dimension=dimension,
        convention=convention_text(options),
        rows=rows,
        total=total_row,
        scheme=scheme,
        min_sample=min_sample,
        measures=dimension.measures,
    )


Trend = list[tuple[str, dict[str, Decimal | None]]]


@dataclass
class Overview:
    """The overview page: the period's city-wide table and the trend leading to it."""

    report: Report  # the city-wide (reader-wide) table of the period
    trend: Trend  # only the rates asked for


def overview_build(
    *,
    facts: QuerySet[CaseFact],
    period: Period,
    count: int,
    rates: tuple[str, ...],
    options: Options,
) -> Overview:
    """The city-wide (reader-wide) report of ``period`` and the trend of ``rates`` over the
    ``count`` periods ending with it, from one statement: the period's own counts are the
    trend's last, and the earlier periods count only what ``rates`` divide."""
    periods = periods_trend(period, count)
    wanted = measures_of(rates)
    counted = count_periods(
        facts,
        periods=[(each, wanted) for each in periods[:-1]] + [(period, tuple(MEASURES))],
        options=options,
    )
    report = _report(
        units={"": dict(counted[-1])},
        total=counted[-1],
        period=period,
        dimension=DIMENSIONS["city"],
        options=options,
    )
    trend = [
        (each.label, rates_of(counts, rates)) for each, counts in zip(periods, counted, strict=True)
    ]
    return Overview(report=report, trend=trend)


def heat_points(
    *, facts: QuerySet[CaseFact], period: Period, cell: float = 0.0005
) -> list[tuple[float, float, int]]:
    """Cases reported in the period, counted per cell of ``cell`` degrees: (lat, lon, count)."""
    from django.contrib.gis.db.models import Collect
    from django.contrib.gis.db.models.functions import Centroid, SnapToGrid

    rows = (
        facts.filter(_reported(period))
        .annotate(cell=SnapToGrid("location", cell))
        .values("cell")
        .annotate(n=Count("pk"), centre=Centroid(Collect("location")))
        .order_by("-n")[:5000]
    )
    # Drawn at the centre of the cell's cases, not at the lattice point the cell snapped to.
    return [(round(r["centre"].y, 6), round(r["centre"].x, 6), r["n"]) for r in rows]


def heat_grids(*, facts: QuerySet[CaseFact], period: Period, limit: int = 2000) -> dict:
    """Outlines of the grids that had cases reported in the period, as a GeoJSON collection
    (the heat map has no base tiles, so the grids give it its bearings)."""
    from django.contrib.gis.db.models.functions import AsGeoJSON

    from grids.models import Grid

    ids = facts.filter(_reported(period)).values("grid_id")
    rows = (
        Grid.objects.filter(pk__in=ids)
        .annotate(shape=AsGeoJSON("boundary", precision=6))
        .values_list("code", "shape")[:limit]
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": code}, "geometry": json.loads(shape)}
            for code, shape in rows
        ],
    }


def _reported(period: Period) -> Q:
    return Q(reported_at__gte=period.start, reported_at__lt=period.end)


# ---------------------------------------------------------------- drill-down
def cases_behind(
    *,
    facts: QuerySet[CaseFact],
    period: Period,
    dimension: Dimension,
    key: str,
    measure: str,
    options: Options,
) -> QuerySet[Case]:
    """The cases counted in one number of a report: same facts, same filter."""
    if measure not in MEASURES:
        raise NotFound(_("没有这个统计指标。"), code="measure_not_found")
    chosen = facts.filter(
        measure_q(measure, period, options) & unit_filter(dimension, measure, key)
    )
    return (
        Case.objects.filter(pk__in=chosen.values("case_id"))
        .select_related("category", "grid", "lead_department")
        .order_by("-reported_at", "-pk")
    )

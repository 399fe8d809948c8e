"""The evaluation indices (domain reference §6): periods, the pure rate function, the counts
each rate divides (as filters on cases.facts.CaseFact) and the dimensions they roll up by. The
statements that count them are in reports.counting."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache, reduce

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.workflow import SOURCES_NEEDING_VERIFICATION, Source

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@lru_cache(maxsize=2**16)  # a ranking of 10,000 units asks for 140,000 rates, mostly alike
def rate(numerator: int, denominator: int) -> Decimal | None:
    """A percentage with two decimals, rounded half up (None when nothing is due)."""
    if not denominator:
        return None
    return (Decimal(numerator) * HUNDRED / Decimal(denominator)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


# ---------------------------------------------------------------- periods
class PeriodKind:
    DAY, WEEK, MONTH, QUARTER, YEAR, CUSTOM = "day", "week", "month", "quarter", "year", "custom"
    CHOICES = (
        (DAY, _("日")),
        (WEEK, _("周")),
        (MONTH, _("月")),
        (QUARTER, _("季度")),
        (YEAR, _("年")),
        (CUSTOM, _("自定义")),
    )


@dataclass(frozen=True)
class Period:
    """Local days ``first`` to ``last`` inclusive; counted as [start, end) in aware time."""

    kind: str
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first, time.min))

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last + timedelta(days=1), time.min))

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.DAY:
            return self.first.isoformat()
        if self.kind == PeriodKind.MONTH:
            return f"{self.first:%Y-%m}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.first.year}Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == PeriodKind.YEAR:
            return str(self.first.year)
        return f"{self.first.isoformat()} ~ {self.last.isoformat()}"

    def previous(self) -> Period:
        if self.kind == PeriodKind.CUSTOM:
            length = self.last - self.first + timedelta(days=1)
            return Period(self.kind, self.first - length, self.first - timedelta(days=1))
        return period_of(self.kind, self.first - timedelta(days=1))


def period_of(kind: str, day: date) -> Period:
    """The day, week (Monday first), month, quarter or year holding ``day``."""
    if kind == PeriodKind.DAY:
        return Period(kind, day, day)
    if kind == PeriodKind.WEEK:
        first = day - timedelta(days=day.weekday())
        return Period(kind, first, first + timedelta(days=6))
    if kind == PeriodKind.MONTH:
        last_day = calendar.monthrange(day.year, day.month)[1]
        return Period(kind, day.replace(day=1), day.replace(day=last_day))
    if kind == PeriodKind.QUARTER:
        month = (day.month - 1) // 3 * 3 + 1
        end_month = month + 2
        return Period(
            kind,
            date(day.year, month, 1),
            date(day.year, end_month, calendar.monthrange(day.year, end_month)[1]),
        )
    if kind == PeriodKind.YEAR:
        return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))
    raise ValueError(f"unknown period kind {kind!r}")


def periods_trend(period: Period, count: int) -> list[Period]:
    """``count`` periods of the same length ending with ``period``, oldest first."""
    found = [period]
    while len(found) < count:
        found.append(found[-1].previous())
    return list(reversed(found))


# ---------------------------------------------------------------- the counts
@dataclass(frozen=True)
class Options:
    """The city's choices (settings), read once per report."""

    convention: str
    exclude_suspended: bool
    now: datetime

    @classmethod
    def from_settings(cls, *, now: datetime | None = None) -> Options:
        return cls(
            convention=settings.GRIDCITY_REPORTS_PERIOD_CONVENTION,
            exclude_suspended=settings.GRIDCITY_REPORTS_EXCLUDE_SUSPENDED,
            now=now or timezone.now(),
        )


CONVENTION_TEXT = {
    "event": _(
        "统计口径：各项数量按该环节发生的时间计入所选时段（受理数按受理时间、立案数按立案时间、"
        "结案数按结案时间……）；应结案数 = 本时段结案数 + "
        "处置时限在本时段内到期且时段结束时仍未结案的案件数；未经派遣的自处理案件不计入结案类指标。"
    ),
    "reported": _(
        "统计口径：只统计所选时段内上报的案件，按其当前办理情况计算；应结案数 = 其中已结案数 + "
        "处置时限已过仍未结案的案件数。"
    ),
}


def convention_text(options: Options) -> str:
    text = str(CONVENTION_TEXT.get(options.convention, CONVENTION_TEXT["event"]))
    if options.exclude_suspended:
        text += str(_("挂账中的案件不计入应结案数和应处置数。"))
    return text


MEASURES: dict[str, str] = {
    "reports": _("监督员上报数"),
    "valid_reports": _("有效上报数"),
    "accepted": _("受理数"),
    "filed": _("立案数"),
    "filed_not_voided": _("准确立案数"),
    "public_filed": _("公众举报立案数"),
    "dispatched": _("派遣数"),
    "dispatched_not_sent_back": _("准确派遣数"),
    "due": _("应结案数"),
    "closed": _("结案数"),
    "closed_on_time": _("按期结案数"),
    "reworked": _("返工数"),
    "extended": _("延期数"),
    "due_handle": _("应处置数"),
    "handled": _("处置数"),
    "handled_on_time": _("按期处置数"),
    "verified": _("核实数"),
    "verified_on_time": _("按时核实数"),
    "reinspected": _("核查数"),
    "reinspected_on_time": _("按时核查数"),
}


def _within(field: str, period: Period, options: Options) -> Q:
    if options.convention == "reported":
        return Q(reported_at__gte=period.start, reported_at__lt=period.end) & Q(
            **{f"{field}__isnull": False, f"{field}__lt": options.now}
        )
    return Q(**{f"{field}__gte": period.start, f"{field}__lt": period.end})


def _due(done_field: str, period: Period, options: Options) -> Q:
    """Done in the period, or deadline passed in the period and not done by its end (by now
    under the "reported" convention)."""
    done = _within(done_field, period, options) & Q(dispatched_at__isnull=False)
    if options.convention == "reported":
        cut = min(period.end, options.now)
        late = Q(reported_at__gte=period.start, reported_at__lt=period.end) & Q(
            handling_deadline__lt=cut
        )
        late &= Q(**{f"{done_field}__isnull": True})
    else:
        late = Q(handling_deadline__gte=period.start, handling_deadline__lt=period.end)
        late &= Q(**{f"{done_field}__isnull": True}) | Q(**{f"{done_field}__gte": period.end})
    late &= Q(voided_at__isnull=True)
    if options.exclude_suspended:
        late &= Q(suspended=False)
    return done | late


def measure_q(name: str, period: Period, options: Options) -> Q:
    """The facts counted by measure ``name`` in ``period``."""
    inside = lambda field: _within(field, period, options)  # noqa: E731
    public = [str(s) for s in SOURCES_NEEDING_VERIFICATION]
    if name == "reports":
        return inside("reported_at") & Q(source=Source.INSPECTOR)
    if name == "valid_reports":
        return measure_q("reports", period, options) & Q(filed_at__isnull=False)
    if name == "accepted":
        return inside("accepted_at")
    if name == "filed":
        return inside("filed_at")
    if name == "filed_not_voided":
        return inside("filed_at") & Q(voided_at__isnull=True)
    if name == "public_filed":
        return inside("filed_at") & Q(source__in=public)
    if name == "dispatched":
        return inside("dispatched_at")
    if name == "dispatched_not_sent_back":
        return inside("dispatched_at") & Q(sendback_count=0)
    if name == "due":
        return _due("closed_at", period, options)
    if name == "closed":
        return inside("closed_at") & Q(dispatched_at__isnull=False)
    if name == "closed_on_time":
        return measure_q("closed", period, options) & Q(outcome="on_time")
    if name == "reworked":
        return _due("closed_at", period, options) & Q(rework_count__gt=0)
    if name == "extended":
        return _due("closed_at", period, options) & Q(extension_count__gt=0)
    if name == "due_handle":
        return _due("handled_at", period, options)
    if name == "handled":
        return inside("handled_at") & Q(dispatched_at__isnull=False)
    if name == "handled_on_time":
        return measure_q("handled", period, options) & Q(handled_on_time=True)
    if name == "verified":
        return inside("verified_at")
    if name == "verified_on_time":
        return inside("verified_at") & Q(verified_on_time=True)
    if name == "reinspected":
        return inside("reinspected_at")
    if name == "reinspected_on_time":
        return inside("reinspected_at") & Q(reinspected_on_time=True)
    raise KeyError(name)


@dataclass(frozen=True)
class RateDef:
    key: str
    label: str
    numerator: str
    denominator: str
    higher_is_better: bool = True


RATES: tuple[RateDef, ...] = (
    RateDef("filing", _("立案率"), "filed", "accepted"),
    RateDef("dispatch", _("派遣率"), "dispatched", "filed"),
    RateDef("closing", _("结案率"), "closed", "due"),
    RateDef("on_time_closing", _("按期结案率"), "closed_on_time", "due"),
    RateDef("handling", _("处置率"), "handled", "due_handle"),
    RateDef("on_time_handling", _("按期处置率"), "handled_on_time", "due_handle"),
    RateDef("rework", _("返工率"), "reworked", "due", higher_is_better=False),
    RateDef("extension", _("延期率"), "extended", "due", higher_is_better=False),
    RateDef("valid_report", _("有效上报率"), "valid_reports", "reports"),
    RateDef("miss", _("漏报率"), "public_filed", "filed", higher_is_better=False),
    RateDef("on_time_verification", _("按时核实率"), "verified_on_time", "verified"),
    RateDef("on_time_reinspection", _("按时核查率"), "reinspected_on_time", "reinspected"),
    RateDef("accurate_filing", _("准确立案率"), "filed_not_voided", "filed"),
    RateDef("accurate_dispatch", _("准确派遣率"), "dispatched_not_sent_back", "dispatched"),
)
RATE_BY_KEY = {r.key: r for r in RATES}
# The rates shown per unit where not every rate means something (an inspector's rates say
# nothing of a department); dimensions not listed show every rate their counts allow.
DIMENSION_RATES: dict[str, tuple[str, ...]] = {
    "department": (
        "filing",
        "dispatch",
        "closing",
        "on_time_closing",
        "handling",
        "on_time_handling",
        "rework",
        "extension",
        "accurate_dispatch",
    ),
}
HEADLINE_RATES = ("filing", "dispatch", "closing", "on_time_closing", "rework", "extension")
TREND_RATES = ("closing", "on_time_closing", "on_time_handling", "rework")


def measures_of(rate_keys: Iterable[str]) -> tuple[str, ...]:
    """The measures the given rates divide, in the order of MEASURES."""
    wanted = {m for k in rate_keys for m in (RATE_BY_KEY[k].numerator, RATE_BY_KEY[k].denominator)}
    return tuple(m for m in MEASURES if m in wanted)


def rates_for(dimension: Dimension) -> list[RateDef]:
    """The rates a dimension's tables and files show."""
    chosen = DIMENSION_RATES.get(dimension.key)
    return [
        r
        for r in RATES
        if r.numerator in dimension.measures
        and r.denominator in dimension.measures
        and (chosen is None or r.key in chosen)
    ]


@lru_cache(maxsize=64)
def _rate_parts(keys: tuple[str, ...] | None) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (r.key, r.numerator, r.denominator) for r in RATES if keys is None or r.key in keys
    )


def rates_of(
    counts: dict[str, int], keys: tuple[str, ...] | None = None
) -> dict[str, Decimal | None]:
    """The rates (all, or those named by ``keys``) over ``counts``; called once per row of a
    ranking, so the rates' parts are looked up once per choice of ``keys``."""
    get = counts.get
    return {key: rate(get(n, 0), get(d, 0)) for key, n, d in _rate_parts(keys)}


# ---------------------------------------------------------------- dimensions
@dataclass(frozen=True)
class Dimension:
    """A roll-up: the fact columns a unit is keyed by, per measure when people differ by step."""

    key: str
    label: str
    fields: tuple[str, ...] = ()
    measure_fields: dict[str, str] | None = None  # person roles: measure → person column

    def fields_for(self, measure: str) -> tuple[str, ...] | None:
        if self.measure_fields is None:
            return self.fields
        field = self.measure_fields.get(measure)
        return (field,) if field else None

    @property
    def measures(self) -> tuple[str, ...]:
        return tuple(MEASURES) if self.measure_fields is None else tuple(self.measure_fields)


DIMENSIONS: dict[str, Dimension] = {
    d.key: d
    for d in (
        Dimension("city", _("全市"), ()),
        Dimension("department", _("主办部门"), ("lead_department_id",)),
        Dimension("district", _("区"), ("district_code",)),
        Dimension("street", _("街道"), ("street_code",)),
        Dimension("community", _("社区"), ("community_code",)),
        Dimension("grid", _("网格"), ("grid_code",)),
        Dimension(
            "inspector",
            _("监督员"),
            measure_fields={
                "reports": "reporter_id",
                "valid_reports": "reporter_id",
                "filed": "grid_inspector_id",
                "public_filed": "grid_inspector_id",
                "verified": "verifier_id",
                "verified_on_time": "verifier_id",
                "reinspected": "reinspector_id",
                "reinspected_on_time": "reinspector_id",
            },
        ),
        Dimension(
            "acceptor",
            _("受理员"),
            measure_fields={"accepted": "acceptor_id", "filed": "acceptor_id"},
        ),
        Dimension(
            "shift_leader",
            _("值班长"),
            measure_fields={
                "filed": "filer_id",
                "filed_not_voided": "filer_id",
                "closed": "closer_id",
                "closed_on_time": "closer_id",
            },
        ),
        Dimension(
            "dispatcher",
            _("派遣员"),
            measure_fields={
                "dispatched": "dispatcher_id",
                "dispatched_not_sent_back": "dispatcher_id",
            },
        ),
        Dimension("kind", _("部件/事件"), ("category_kind",)),
        Dimension("major", _("大类"), ("category_kind", "category_major")),
        Dimension("minor", _("小类"), ("category_id",)),
        Dimension("source", _("来源"), ("source",)),
    )
}
PERSON_DIMENSIONS = ("inspector", "acceptor", "shift_leader", "dispatcher")
AREA_DIMENSIONS = ("district", "street", "community", "grid")


def unit_key(values: tuple[object, ...]) -> str:
    """The string that names a unit in URLs (fields joined by ':'; empty for none)."""
    return ":".join("" if v is None else str(v) for v in values)


def unit_filter(dimension: Dimension, measure: str, key: str) -> Q:
    """The facts of one unit of ``dimension`` for ``measure`` (see unit_key)."""
    fields = dimension.fields_for(measure)
    if fields is None:
        return Q(pk__in=[])
    if not fields:
        return Q()
    parts = key.split(":") if fields else []
    if len(parts) != len(fields):
        return Q(pk__in=[])
    return reduce(
        lambda q, pair: q & Q(**{pair[0]: pair[1] or None}), zip(fields, parts, strict=True), Q()
    )

"""The one-statement counts (reports.counting) against the plainest way of counting, one
query per measure, on a few hundred random facts: every period of a trend, every unit of every
dimension and the total, under both period conventions, with and without suspended cases."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from cases.facts import CaseFact
from reports.counting import _range_fields, count_periods, count_table, window_q
from reports.indices import (
    DIMENSIONS,
    MEASURES,
    TREND_RATES,
    Options,
    Period,
    measure_q,
    period_of,
    periods_trend,
    rates_of,
    unit_filter,
    unit_key,
)
from reports.selectors import overview_build
from tests.factories.cases import COMMUNITY
from tests.factories.reports import at, random_facts

NOW = at(20, 12)
OPTION_SETS = [
    Options(convention="event", exclude_suspended=True, now=NOW),
    Options(convention="event", exclude_suspended=False, now=NOW),
    Options(convention="reported", exclude_suspended=True, now=NOW),
]
PERIODS = [
    period_of("week", date(2026, 3, 9)),
    period_of("month", date(2026, 2, 1)),
    period_of("quarter", date(2026, 1, 1)),
    Period("custom", date(2025, 12, 10), date(2026, 1, 23)),
]


@pytest.fixture
def facts(world):
    random_facts(world, count=400, grids=12)
    return CaseFact.objects.all()


@contextmanager
def one_statement():
    """The facts are read by exactly one statement inside the block."""
    with CaptureQueriesContext(connection) as captured:
        yield
    reads = [q["sql"] for q in captured.captured_queries if "cases_casefact" in q["sql"]]
    assert len(reads) == 1, reads


def one_by_one(facts, period, options, measures=MEASURES):
    return {m: facts.filter(measure_q(m, period, options)).count() for m in measures}


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: o.convention)
def test_every_measure_is_anchored_in_plain_time_ranges(options):
    period = PERIODS[1]

    anchored = {m: _range_fields(measure_q(m, period, options), period) for m in MEASURES}

    assert None not in anchored.values(), anchored  # the WHERE can use the per-date indexes
    if options.convention == "reported":
        assert set().union(*anchored.values()) == {"reported_at"}


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: o.convention)
def test_window_holds_every_fact_a_measure_counts(facts, options):
    for period in PERIODS:
        window = window_q(MEASURES, period, options)

        outside = {
            m: facts.filter(measure_q(m, period, options) & ~window).count() for m in MEASURES
        }

        assert set(outside.values()) == {0}, (period, outside)


@pytest.mark.parametrize("options", OPTION_SETS, ids=lambda o: o.convention)
def test_trend_in_one_statement_equals_counting_each_period(facts, options):
    for period in PERIODS:
        periods = periods_trend(period, 6)

        with one_statement():
            counted = count_periods(
                facts, periods=[(p, tuple(MEASURES)) for p in periods], options=options
            )

        assert counted == [one_by_one(facts, p, options) for p in periods]
        assert sum(sum(c.values()) for c in counted) > 100  # the facts do fall in the periods


def test_periods_may_count_different_measures(facts):
    options = OPTION_SETS[0]
    periods = periods_trend(PERIODS[1], 4)
    few = ("due", "closed")

    counted = count_periods(
        facts,
        periods=[(p, few) for p in periods[:-1]] + [(periods[-1], tuple(MEASURES))],
        options=options,
    )

    assert counted[:-1] == [one_by_one(facts, p, options, few) for p in periods[:-1]]
    assert counted[-1] == one_by_one(facts, periods[-1], options)


def test_overview_trend_gives_each_periods_rates(facts):
    options = OPTION_SETS[0]

    overview = overview_build(
        facts=facts, period=PERIODS[1], count=8, rates=TREND_RATES, options=options
    )

    assert overview.trend == [
        (p.label, rates_of(one_by_one(facts, p, options), TREND_RATES))
        for p in periods_trend(PERIODS[1], 8)
    ]


@pytest.mark.parametrize("options", OPTION_SETS[::2], ids=lambda o: o.convention)
def test_table_in_one_statement_equals_counting_each_unit(facts, options):
    period = PERIODS[2]
    scoped = facts.filter(grid_code__lt=f"{COMMUNITY}010")  # a reader who sees 9 grids
    readers = [(facts, d) for d in DIMENSIONS.values()]
    readers += [(scoped, DIMENSIONS[d]) for d in ("city", "department", "grid", "inspector")]

    for reader, dimension in readers:
        with one_statement():
            units, total = count_table(reader, period=period, dimension=dimension, options=options)

        assert total == one_by_one(reader, period, options, dimension.measures)
        assert set(units) == _units_counted(reader, period, dimension, options)
        for key in sorted(units)[:3]:
            assert units[key] == {
                m: reader.filter(
                    measure_q(m, period, options) & unit_filter(dimension, m, key)
                ).count()
                for m in dimension.measures
            }, (dimension.key, key)


def _units_counted(facts, period, dimension, options) -> set[str]:
    """Units with a fact any of the dimension's measures counts (no unit when no key)."""
    if not dimension.fields and dimension.measure_fields is None:
        return {""}
    found: set[str] = set()
    for measure in dimension.measures:
        fields = dimension.fields_for(measure)
        rows = facts.filter(measure_q(measure, period, options)).values_list(*fields).distinct()
        found |= {unit_key(row) for row in rows if any(v is not None for v in row)}
    return found


def test_a_reader_who_sees_no_facts_gets_zeros(facts):
    nothing = facts.filter(Q(pk__in=[]))
    options = OPTION_SETS[0]

    units, total = count_table(
        nothing, period=PERIODS[0], dimension=DIMENSIONS["city"], options=options
    )
    department, _total = count_table(
        nothing, period=PERIODS[0], dimension=DIMENSIONS["department"], options=options
    )
    trend = count_periods(nothing, periods=[(PERIODS[0], ("due",))], options=options)

    assert units == {"": dict.fromkeys(MEASURES, 0)} and total == dict.fromkeys(MEASURES, 0)
    assert department == {}
    assert trend == [{"due": 0}]


def test_a_months_statement_reads_the_facts_through_the_date_indexes(facts):
    options = OPTION_SETS[0]
    with CaptureQueriesContext(connection) as captured:
        count_table(facts, period=PERIODS[1], dimension=DIMENSIONS["department"], options=options)
    sql = [q["sql"] for q in captured.captured_queries]
    (settings_sql,) = (q for q in sql if "set_config" in q)
    (statement,) = (q for q in sql if "cases_casefact" in q)  # the count, not the kept counts

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(settings_sql)
        cursor.execute(f"EXPLAIN {statement}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "BitmapOr" in plan and "Seq Scan" not in plan, plan

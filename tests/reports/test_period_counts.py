"""The kept counts of finished periods (reports.counting, reports.models.PeriodCounts): read back
only while no fact of the period's days has changed since they were counted, kept apart for each
part of the city a reader sees, never for a period still open or facts chosen through another
table; a period that runs to today as its kept prefix and what differs after it; and the
trigger on the facts that records the changes, whichever way a fact is written."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.db.models import F, Q, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.facts import LATEST_STAMPS, CaseFact
from cases.models import Case
from reports.counting import KEPT_LAYOUT, _anchors, _grows, count_periods, count_table, window_q
from reports.indices import (
    DIMENSIONS,
    MEASURES,
    Options,
    Period,
    measure_q,
    period_of,
    periods_trend,
    unit_filter,
)
from reports.models import FactChange, PeriodCounts
from reports.services import fact_changes_compact
from tests.factories.reports import at, random_facts

EVENT = Options(convention="event", exclude_suspended=True, now=at(20, 12))
MONTH = period_of("month", date(2026, 2, 1))
TREND = [(p, tuple(MEASURES)) for p in periods_trend(MONTH, 4)]


@pytest.fixture
def facts(world):
    random_facts(world, count=300, grids=6)
    return CaseFact.objects.all()


def fact_reads(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "cases_casefact" in q["sql"]]


def counted(facts, periods=TREND, options=EVENT):
    with CaptureQueriesContext(connection) as captured:
        found = count_periods(facts, periods=periods, options=options)
    return found, fact_reads(captured)


def one_by_one(facts, periods=TREND, options=EVENT):
    return [
        {m: facts.filter(measure_q(m, period, options)).count() for m in measures}
        for period, measures in periods
    ]


def test_a_finished_period_is_counted_once_and_read_back_while_nothing_changed(facts):
    first, first_reads = counted(facts)
    again, again_reads = counted(facts)

    assert first == again == one_by_one(facts)
    assert len(first_reads) == 1
    assert again_reads == []  # every period from the kept counts
    assert PeriodCounts.objects.filter(as_of=None).count() == len(TREND)
    assert PeriodCounts.objects.exclude(as_of=None).count() == len(TREND)  # and rolling


def test_counts_kept_under_another_layout_are_not_read_back(facts):
    first, _reads = counted(facts)
    for row in PeriodCounts.objects.all():
        assert row.key.startswith(f"{KEPT_LAYOUT}:")
        assert all(isinstance(counts, list) for _set, _values, counts in row.counts)
        # The same row under a key of an earlier layout, with counts by name.
        PeriodCounts.objects.create(
            key=row.key.removeprefix(f"{KEPT_LAYOUT}:"), counts=[[0, [], {}]], signature=0
        )
        row.delete()

    again, again_reads = counted(facts)
    assert again == first
    assert len(again_reads) == 1  # counted, not read from the rows of the other layout


def test_a_changed_fact_makes_its_period_count_again(facts):
    before, _reads = counted(facts)
    changed = (
        CaseFact.objects.filter(measure_q("closed_on_time", MONTH, EVENT)).order_by("pk").first()
    )

    CaseFact.objects.filter(pk=changed.pk).update(outcome="late")  # a correction months later
    after, reads = counted(facts)

    assert after == one_by_one(facts)
    assert len(reads) == 1
    assert after[-1]["closed_on_time"] == before[-1]["closed_on_time"] - 1


def test_the_period_a_changed_fact_lies_in_is_counted_again_after_the_change(facts):
    before, _reads = counted(facts)
    changed = (
        CaseFact.objects.filter(measure_q("closed", MONTH, EVENT), rework_count=0)
        .order_by("pk")
        .first()
    )

    changed.rework_count = 1
    changed.save(update_fields=["rework_count"])  # the ORM's own save, one row
    after, _reads = counted(facts)

    assert after == one_by_one(facts)
    assert after[-1]["reworked"] == before[-1]["reworked"] + 1


def test_a_deleted_fact_is_seen_too(facts):
    counted(facts)
    gone = CaseFact.objects.filter(measure_q("filed", MONTH, EVENT)).order_by("pk").first()

    CaseFact.objects.filter(pk=gone.pk).delete()
    after, _reads = counted(facts)

    assert after == one_by_one(facts)


def test_a_period_not_yet_a_day_past_its_end_is_not_kept_by_its_days(facts):
    # It is kept rolling instead (tests/reports/test_rolling_counts.py): every read reads the
    # facts changed since its moment.
    today = timezone.localdate()
    running = [(period_of("month", today), tuple(MEASURES)), (period_of("day", today), ("due",))]

    found, first_reads = counted(facts, running)
    again, again_reads = counted(facts, running)

    assert found == again == one_by_one(facts, running)
    assert len(first_reads) == len(again_reads) == 1
    assert PeriodCounts.objects.count() == len(running)
    assert not PeriodCounts.objects.filter(as_of=None).exists()


def test_a_reader_who_sees_part_of_the_city_keeps_counts_of_that_part(facts):
    codes = sorted(set(facts.values_list("grid_code", flat=True)))
    mine = facts.filter(grid_code__startswith=codes[0])  # as facts_for_scope chooses an area's
    theirs = facts.filter(grid_code__in=codes[1:])

    first, _reads = counted(mine)
    again, reads = counted(mine)
    other, other_reads = counted(theirs)

    assert first == again == one_by_one(mine)
    assert reads == []
    assert other == one_by_one(theirs) != first  # another part's counts are its own
    assert len(other_reads) == 1


def test_facts_chosen_through_another_table_are_counted_every_time(facts):
    kind = facts.first().category_kind
    joined = facts.filter(category__kind=kind)  # a join: the trigger does not see that table
    subquery = facts.filter(case__in=Case.objects.filter(category__kind=kind).values("pk"))

    for chosen in (joined, subquery):
        counted(chosen)
        found, reads = counted(chosen)

        assert found == one_by_one(chosen)
        assert len(reads) == 1
    assert not PeriodCounts.objects.exists()


def test_the_reported_convention_is_never_kept(facts):
    options = Options(convention="reported", exclude_suspended=True, now=at(20, 12))

    counted(facts, options=options)
    _found, reads = counted(facts, options=options)

    assert len(reads) == 1
    assert not PeriodCounts.objects.exists()


def test_the_options_are_part_of_what_is_kept(facts):
    counted(facts)
    every = Options(convention="event", exclude_suspended=False, now=at(20, 12))

    found, reads = counted(facts, options=every)

    assert len(reads) == 1  # not the counts kept without the suspended cases
    assert found == one_by_one(facts, options=every)


def test_the_trigger_records_the_days_of_every_timestamp_of_a_changed_row(facts):
    fact = facts.exclude(closed_at=None).order_by("pk").first()
    FactChange.objects.all().delete()
    moved = fact.closed_at - timedelta(days=3)

    CaseFact.objects.filter(pk=fact.pk).update(closed_at=moved)

    stamps = [getattr(fact, f.attname) for f in _stamp_fields()]
    days = {s.astimezone(UTC).date() for s in [*stamps, moved] if s is not None}
    recorded = dict(FactChange.objects.values_list("day").annotate(n=Sum("changes")))
    assert set(recorded) == days
    assert sum(recorded.values()) == 2 * sum(s is not None for s in stamps)  # old row and new


def test_the_trigger_records_nothing_for_an_update_that_changes_nothing(facts):
    FactChange.objects.all().delete()

    CaseFact.objects.filter(pk=facts.first().pk).update(outcome=F("outcome"))

    assert not FactChange.objects.exists()


def test_the_trigger_leaves_the_last_twelve_hours_to_todays_writers(facts):
    # A fact of the months around March 2026 (not the real report they were copied from).
    fact = facts.filter(reported_at__lt=timezone.now() - timedelta(days=30)).first()
    FactChange.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        (now,) = cursor.fetchone()
    recent = now - timedelta(hours=1)

    CaseFact.objects.filter(pk=fact.pk).update(closed_at=recent)

    recorded = set(FactChange.objects.values_list("day", flat=True))
    assert recorded  # the row's older timestamps
    assert recent.astimezone(UTC).date() not in recorded


def test_the_trigger_covers_every_timestamp_of_the_facts(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef('reports_fact_changed'::regproc)")
        (source,) = cursor.fetchone()

    for field in _stamp_fields():
        assert f"n.{field.column}" in source and f"o.{field.column}" in source, field.column


def _stamp_fields():
    """The timestamps of what happened to a case: not changed_at, when the row last changed,
    which is the rolling counts' bookkeeping (tests/reports/test_rolling_counts.py)."""
    return [
        f
        for f in CaseFact._meta.fields
        if f.get_internal_type() == "DateTimeField" and f.name != "changed_at"
    ]


def test_compacting_keeps_every_days_sum_in_one_row(db):
    days = [date(2026, 3, 1), date(2026, 3, 2)]
    FactChange.objects.bulk_create(
        [FactChange(day=days[0], changes=n) for n in (1, 2, 3)]
        + [FactChange(day=days[1], changes=5)]
    )

    left = fact_changes_compact()

    assert left == 2
    assert dict(FactChange.objects.values_list("day", "changes")) == {days[0]: 6, days[1]: 5}


def test_compacting_drops_counts_nobody_counted_for_a_month(db):
    PeriodCounts.objects.create(key="old", counts={}, signature=0)
    PeriodCounts.objects.create(key="new", counts={}, signature=0)
    PeriodCounts.objects.filter(key="old").update(computed_at=timezone.now() - timedelta(days=31))

    fact_changes_compact()

    assert list(PeriodCounts.objects.values_list("key", flat=True)) == ["new"]


def test_the_overview_of_a_past_week_is_read_back_and_follows_a_correction(
    fortnight, world, client
):
    client.force_login(world.supervisor)
    url = f"{reverse('reports:home')}?kind=week&day=2026-03-09"
    first = client.get(url)

    with CaptureQueriesContext(connection) as captured:
        kept = client.get(url)
    # A correction weeks later: case A was in fact closed in week 3.
    CaseFact.objects.filter(case=fortnight["A"]).update(closed_at=at(20, 10))
    corrected = client.get(url)

    assert kept.context["chart"] == first.context["chart"]
    assert 'data-measure="due">9</a>' in kept.content.decode()
    assert not any("COUNT(" in sql for sql in fact_reads(captured))
    closing = json.loads(json.dumps(corrected.context["chart"]))["series"][0]["data"]
    assert closing[-1] != 77.78


def test_beat_compacts_the_record_every_night(settings):
    from gridcity.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["compact-fact-changes"]
    app.loader.import_default_modules()  # what a worker does at start: find every app's tasks

    assert entry["task"] in app.tasks  # a registered task, not a name beat would send in vain
    assert entry["schedule"].hour == {3}


# ---------------------------------------------------------------- a period that runs to today
SPLITS = [
    (Period("custom", date(2025, 10, 1), date(2026, 6, 30)), date(2025, 12, 31)),
    (Period("custom", date(2025, 10, 1), date(2026, 6, 30)), date(2026, 3, 31)),
    (Period("custom", date(2026, 1, 1), date(2026, 9, 30)), date(2026, 8, 31)),
]
BOTH = [EVENT, Options(convention="event", exclude_suspended=False, now=at(20, 12))]


@pytest.mark.parametrize("options", BOTH, ids=["without-suspended", "all"])
def test_what_a_period_and_its_prefix_count_differently_lies_after_the_prefix(facts, options):
    differing = set()
    for period, last in SPLITS:
        prefix = Period("custom", period.first, last)
        after = window_q(MEASURES, Period("custom", last + timedelta(days=1), period.last), options)
        for m in MEASURES:
            now, then = measure_q(m, period, options), measure_q(m, prefix, options)
            differ = facts.filter((now & ~then) | (then & ~now))

            assert not differ.exclude(after).exists(), (m, period, last)
            if differ.exists():
                differing.add(m)

    assert {"due", "closed", "due_handle", "reports"} <= differing  # not an empty check


@pytest.mark.parametrize("options", BOTH, ids=["without-suspended", "all"])
def test_only_what_a_prefix_may_count_and_its_period_not_is_counted_both_ways(facts, options):
    # A difference counts the facts its prefix counts and its period does not only for the
    # measures where that can happen (_grows says which): "due" and its kin count a case closed
    # at or after the period's end as late, so a later end can drop it; the others cannot.
    growing = set()
    for period, last in SPLITS:
        prefix = Period("custom", period.first, last)
        for m in MEASURES:
            now, then = measure_q(m, period, options), measure_q(m, prefix, options)
            if _grows(then, now):
                growing.add(m)
                assert not facts.filter(then & ~now).exists(), (m, period, last)
            else:
                assert m in {"due", "reworked", "extended", "due_handle"}, m

    assert growing == set(MEASURES) - {"due", "reworked", "extended", "due_handle"}


def test_a_filter_that_a_later_end_can_narrow_does_not_grow():
    start, end, later = at(1, 0), at(10, 0), at(20, 0)
    within = lambda e: Q(closed_at__gte=start, closed_at__lt=e)  # noqa: E731
    assert _grows(within(end), within(later))
    assert not _grows(within(later), within(end))  # an earlier end
    assert not _grows(~within(end), ~within(later))  # NOT (< end): fewer facts as it grows
    assert _grows(~Q(closed_at__gte=end), ~Q(closed_at__gte=later))
    assert not _grows(Q(closed_at__gte=end), Q(closed_at__gte=later))
    assert not _grows(within(end) & Q(source="a"), within(later) & Q(source="b"))
    assert not _grows(within(end), within(later) | Q(source="a"))  # not alike


def _running(world) -> tuple[Period, Period]:
    """Facts around the start of a period that runs to today: the last one of its prefix's
    month and the days after it, with the cases a difference must get right."""
    today = timezone.localdate()
    last = (today - timedelta(days=1)).replace(day=1) - timedelta(days=1)
    period = Period("custom", last - timedelta(days=90), today)
    ids = random_facts(world, count=120, grids=4)
    facts = CaseFact.objects.filter(pk__in=ids).order_by("pk")
    zone = timezone.get_current_timezone()

    def moment(day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=zone)

    shift = moment(last, 12) - at(20, 12)  # the facts' March 2026 lands on the prefix's end
    stamps = [f.attname for f in CaseFact._meta.fields if f.get_internal_type() == "DateTimeField"]
    CaseFact.objects.filter(pk__in=ids).update(**{s: F(s) + shift for s in stamps})
    after = last + timedelta(days=1)
    late, undispatched, reported = list(facts[:3])
    CaseFact.objects.filter(pk=late.pk).update(  # late at the prefix's end, closed after it
        handling_deadline=moment(last - timedelta(days=3), 10),
        dispatched_at=moment(last - timedelta(days=5), 10),
        closed_at=moment(after, 9),
        voided_at=None,
        suspended=False,
    )
    CaseFact.objects.filter(pk=undispatched.pk).update(  # due in the prefix, not in the period
        handling_deadline=moment(last - timedelta(days=2), 10),
        dispatched_at=None,
        closed_at=moment(after, 10),
        voided_at=None,
        suspended=False,
    )
    CaseFact.objects.filter(pk=reported.pk).update(reported_at=moment(after, 8))
    return period, Period("custom", period.first, last)


def test_a_period_that_runs_to_today_is_its_kept_prefix_and_the_difference(world):
    period, prefix = _running(world)
    facts = CaseFact.objects.all()
    trend = [(period, tuple(MEASURES))]

    first, _reads = counted(facts, trend)
    kept = PeriodCounts.objects.get(as_of=None)  # the prefix, not the period
    forget_rolling()  # else the period is read as its rolling counts and what changed since
    again, reads = counted(facts, trend)

    assert first == again == one_by_one(facts, trend)
    assert str(prefix.last) in kept.key
    assert PeriodCounts.objects.get(as_of=None).computed_at == kept.computed_at  # read back
    assert len(reads) == 1


def forget_rolling():
    PeriodCounts.objects.exclude(as_of=None).delete()


def test_a_ranking_that_runs_to_today_equals_counting_each_unit(world):
    period, _prefix = _running(world)
    facts = CaseFact.objects.all()
    dimension = DIMENSIONS["department"]

    count_table(facts, period=period, dimension=dimension, options=EVENT)
    units, total = count_table(facts, period=period, dimension=dimension, options=EVENT)

    assert total == one_by_one(facts, [(period, tuple(MEASURES))])[0]
    for key, counts in units.items():
        unit = facts.filter(unit_filter(dimension, "due", key))
        assert counts == one_by_one(unit, [(period, tuple(MEASURES))])[0], key
    assert sum(u["filed"] for u in units.values()) <= total["filed"]


def test_a_scoped_ranking_reads_the_days_after_its_prefix_through_the_latest_timestamp(world):
    # For a reader who sees part of the city the days after the prefix are also said as one
    # range of fact_latest (the planner misjudged the OR of the per-date ranges); the counts
    # must stay exactly those of counting each unit, and the whole city keeps the plain ranges.
    period, _prefix = _running(world)
    everything = CaseFact.objects.all()
    department = everything.exclude(lead_department=None).values_list("lead_department", flat=True)
    mine = everything.filter(lead_department__in=[department.first()])  # as a lead's scope
    dimension = DIMENSIONS["grid"]

    for facts in (mine, everything):
        count_table(facts, period=period, dimension=dimension, options=EVENT)  # keeps the prefix
        forget_rolling()
        with CaptureQueriesContext(connection) as captured:
            units, total = count_table(facts, period=period, dimension=dimension, options=EVENT)
        (statement,) = fact_reads(captured)

        assert ("GREATEST(" in statement) == (facts is mine)
        assert total == one_by_one(facts, [(period, tuple(MEASURES))])[0]
        for key, counts in units.items():
            unit = facts.filter(unit_filter(dimension, "due", key))
            assert counts == one_by_one(unit, [(period, tuple(MEASURES))])[0], key


def test_every_timestamp_a_measure_counts_by_is_in_the_latest_and_its_index(db):
    # Were a measure anchored in a timestamp fact_latest leaves out, the scoped reader's range
    # would drop its facts; _part then leaves the range out, and this test says so first.
    periods = [MONTH, Period("custom", date(2025, 1, 1), date(2026, 6, 30))]
    for options in BOTH:
        for period in periods:
            anchors = _anchors(MEASURES, period, options)
            assert anchors is not None and anchors <= set(LATEST_STAMPS), anchors
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'fact_latest'")
        (definition,) = cursor.fetchone()
    assert re.findall(r"\b(\w+_(?:at|deadline))\b", definition) == list(LATEST_STAMPS)


def test_a_change_in_the_prefix_makes_it_count_again(world):
    period, prefix = _running(world)
    facts = CaseFact.objects.all()
    trend = [(period, tuple(MEASURES))]
    counted(facts, trend)
    inside = facts.filter(measure_q("filed", prefix, EVENT)).order_by("pk").first()

    CaseFact.objects.filter(pk=inside.pk).update(voided_at=inside.filed_at)
    after, _reads = counted(facts, trend)

    assert after == one_by_one(facts, trend)

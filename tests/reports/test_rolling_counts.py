"""Rolling counts (reports.counting): a period still running is kept as the counts of the facts
unchanged since a moment, and read as those plus the facts changed since, minus the versions
they replaced. The trigger that stamps each fact's changed_at and keeps the versions, whichever
way a fact is written; counts equal to counting afresh through inserts, updates, moves out of
a reader's part of the city and deletions; a writer whose transaction is still open when the
counts are kept; counts too old to read; and the nightly compaction."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from random import Random

import pytest
from django.db import connection, connections, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.facts import CaseFact
from reports import counting
from reports.counting import count_periods, count_table
from reports.indices import DIMENSIONS, MEASURES, Options, Period, measure_q, period_of
from reports.models import FactVersion, PeriodCounts
from reports.services import VERSIONS_KEPT_DAYS, fact_changes_compact
from tests.factories.reports import at, random_facts

EVENT = Options(convention="event", exclude_suspended=True, now=at(20, 12))
COLUMNS = [f.column for f in CaseFact._meta.concrete_fields]


def running() -> Period:
    """From before the random facts' year to today: still running, so kept rolling."""
    return Period("custom", date(2025, 9, 1), timezone.localdate())


def afresh(facts):
    """The same facts chosen through a subquery, which is never kept: counted whole."""
    return facts.filter(pk__in=CaseFact.objects.values("pk"))


def fact_row(pk: int) -> dict:
    return CaseFact.objects.filter(pk=pk).values(*[f.attname for f in CaseFact._meta.fields])[0]


def version_rows(pk: int) -> list[dict]:
    names = [f.attname for f in CaseFact._meta.fields]
    return list(FactVersion.objects.filter(case_id=pk).order_by("pk").values(*names))


@pytest.fixture
def every_read_rolls(monkeypatch):
    """No margin and no wait: every read keeps its counts again, as of its own start."""
    monkeypatch.setattr(counting, "ROLL_MARGIN", timedelta(0))
    monkeypatch.setattr(counting, "ROLL_EVERY", timedelta(0))


# ---------------------------------------------------------------- the trigger
@pytest.mark.django_db(transaction=True)
def test_the_trigger_stamps_every_counted_change_and_keeps_the_version_it_replaced(world):
    first, second = random_facts(world, count=2, grids=2)
    born = fact_row(first)
    assert born["changed_at"] is not None  # stamped on insert

    CaseFact.objects.filter(pk=first).update(closed_at=F("reported_at"), outcome="late")
    moved = fact_row(first)
    assert moved["changed_at"] > born["changed_at"]
    (version,) = version_rows(first)
    assert version == born  # every column as it was before the change

    CaseFact.objects.filter(pk=first).update(last_sequence=F("last_sequence") + 1)
    CaseFact.objects.filter(pk=first).update(changed_at=timezone.now() - timedelta(days=400))
    # The fold's bookkeeping alone is no change a report counts, and no writer sets the stamp.
    assert fact_row(first)["changed_at"] == moved["changed_at"]
    assert len(version_rows(first)) == 1

    before = fact_row(second)
    with transaction.atomic():
        CaseFact.objects.filter(pk=second).update(urge_count=F("urge_count") + 1)
        CaseFact.objects.filter(pk=second).update(urge_count=F("urge_count") + 1)
    assert version_rows(second) == [before]  # once a transaction: the row before it

    last = fact_row(second)
    CaseFact.objects.filter(pk=second).delete()
    assert version_rows(second) == [before, last]


def test_the_versions_hold_every_column_of_the_facts(db):
    migration = importlib.import_module("reports.migrations.0004_fact_versions")

    assert sorted(migration.COLUMNS) == sorted(COLUMNS)
    versions = {f.column for f in FactVersion._meta.concrete_fields}
    assert versions == {*COLUMNS, "id", "captured_at"}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef('reports_fact_stamped'::regproc)")
        (source,) = cursor.fetchone()
    for column in set(COLUMNS) - set(migration.UNCOUNTED):
        assert f"NEW.{column}" in source and f"OLD.{column}" in source, column


# ---------------------------------------------------------------- the counts
def change_some(rng: Random, world, ids: list[int]) -> list[int]:
    """A working day: steps on cases from anywhere in the period, moves between departments
    (in and out of a lead's part of the city), corrections, new cases and a deletion."""
    departments = [world.sanitation.pk, world.street_office.pk, None]
    for pk in rng.sample(ids, 12):
        fact = CaseFact.objects.get(pk=pk)
        choice = rng.randrange(5)
        if choice == 0:  # closed now, on time or late
            fact.closed_at = timezone.now() - timedelta(hours=rng.uniform(0, 48))
            fact.outcome = rng.choice(["on_time", "late"])
        elif choice == 1:  # dispatched to another department
            fact.lead_department_id = rng.choice(departments)
            fact.dispatched_at = fact.dispatched_at or fact.reported_at + timedelta(hours=3)
        elif choice == 2:  # reworked: the report back emptied
            fact.handled_at, fact.handled_on_time = None, None
            fact.rework_count += 1
        elif choice == 3:  # a deadline extended past the period's end
            fact.handling_deadline = timezone.now() + timedelta(days=rng.uniform(-30, 30))
            fact.extension_count += 1
        else:  # suspended or resumed
            fact.suspended = not fact.suspended
        fact.save()
    gone = rng.choice(ids)
    CaseFact.objects.filter(pk=gone).delete()
    ids.remove(gone)
    return ids + random_facts(world, count=5, grids=4, seed=rng.randrange(10**6))


def units_and_total(facts, dimension, period):
    units, total = count_table(facts, period=period, dimension=DIMENSIONS[dimension], options=EVENT)
    # A unit with nothing counted is no unit (count_table leaves them out); rolling counts may
    # hold one a change emptied.
    return {k: v for k, v in units.items() if any(v.values())}, total


@pytest.mark.django_db(transaction=True)
def test_rolling_counts_equal_counting_afresh_through_a_working_day(world, every_read_rolls):
    rng = Random(11)
    ids = random_facts(world, count=120, grids=4)
    period = running()
    month = period_of("month", timezone.localdate())
    trend = [(month, tuple(MEASURES)), (period, tuple(MEASURES))]
    everything = CaseFact.objects.all()
    scopes = {
        "city": everything,
        "lead": everything.filter(lead_department_id__in=[world.sanitation.pk]),
        "street": everything.filter(grid_code__startswith=everything.first().grid_code[:9]),
    }
    for round_ in range(4):
        for name, facts in scopes.items():
            for dimension in ("grid", "department"):
                with CaptureQueriesContext(connection) as captured:
                    found = units_and_total(facts, dimension, period)
                assert found == units_and_total(afresh(facts), dimension, period), (
                    round_,
                    name,
                    dimension,
                )
                if round_:  # read from the kept counts and the facts changed since
                    (statement,) = [
                        q["sql"] for q in captured.captured_queries if "cases_casefact" in q["sql"]
                    ]
                    assert '"changed_at" >=' in statement and "reports_factversion" in statement
            assert count_periods(facts, periods=trend, options=EVENT) == count_periods(
                afresh(facts), periods=trend, options=EVENT
            )
        ids = change_some(rng, world, ids)
    assert PeriodCounts.objects.exclude(as_of=None).exists()


def database_now():
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_changes_committed_between_the_moment_and_the_read_are_kept_as_they_were_then(
    world, monkeypatch
):
    # The moment counts are kept as of lies minutes before the read: the steps taken in those
    # minutes are in the facts the read counts, and the counts kept as of the moment must hold
    # those cases as they were then (the versions the steps replaced), or every later read
    # takes those versions away from counts that never held them.
    monkeypatch.setattr(counting, "ROLL_EVERY", timedelta(0))
    rng = Random(5)
    ids = random_facts(world, count=100, grids=3)
    period = running()
    everything = CaseFact.objects.all()
    lead = everything.filter(lead_department_id__in=[world.sanitation.pk])
    for round_ in range(4):
        moment = database_now()
        ids = change_some(rng, world, ids)
        twice = rng.sample(ids, 4)  # changed twice since the moment
        CaseFact.objects.filter(pk__in=twice).update(urge_count=F("urge_count") + 1)
        CaseFact.objects.filter(pk__in=twice).update(urge_count=F("urge_count") + 1)
        monkeypatch.setattr(counting, "_moment", lambda db, m=moment: (database_now(), m))
        for name, facts in (("city", everything), ("lead", lead)):
            for dimension in ("grid", "department"):
                assert units_and_total(facts, dimension, period) == units_and_total(
                    afresh(facts), dimension, period
                ), (round_, name, dimension)


@pytest.mark.django_db
def test_a_reader_who_changes_facts_in_the_same_transaction_counts_them(world, every_read_rolls):
    # The reader's own transaction is open too: the moment is never later than its start, so
    # what it writes after its first read is among the facts changed since (not lost in a
    # stamp from before the moment).
    ids = random_facts(world, count=60, grids=3)
    period = running()
    facts = CaseFact.objects.all()

    units_and_total(facts, "department", period)
    CaseFact.objects.filter(pk__in=ids[:20]).update(
        closed_at=timezone.now() - timedelta(hours=1), outcome="on_time"
    )
    CaseFact.objects.filter(pk__in=ids[20:25]).delete()

    assert units_and_total(facts, "department", period) == units_and_total(
        afresh(facts), "department", period
    )


@pytest.mark.django_db(transaction=True)
def test_a_writer_still_open_when_counts_are_kept_is_counted_once_it_commits(
    world, every_read_rolls
):
    ids = random_facts(world, count=60, grids=3)
    period = running()
    facts = CaseFact.objects.all()
    units_and_total(facts, "grid", period)
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:  # a step that began before the next read and ends after
            cursor.execute(
                "UPDATE cases_casefact SET closed_at = now(), outcome = 'late'"
                " WHERE case_id = ANY(%s)",
                [ids[:15]],
            )
        units_and_total(facts, "grid", period)  # keeps its counts again, without that step
        other.commit()
    finally:
        other.close()

    assert units_and_total(facts, "grid", period) == units_and_total(afresh(facts), "grid", period)


@pytest.mark.django_db(transaction=True)
def test_rolling_counts_too_old_are_counted_afresh(world, every_read_rolls):
    random_facts(world, count=40, grids=2)
    period = running()
    facts = CaseFact.objects.all()
    right = units_and_total(facts, "grid", period)
    row = PeriodCounts.objects.exclude(as_of=None).get()
    stale = [[s, values, [n + 5 for n in counts]] for s, values, counts in row.counts]
    # Older than the versions that would bring it up to now are sure to be kept.
    PeriodCounts.objects.filter(pk=row.pk).update(
        counts=stale, as_of=timezone.now() - counting.ROLL_KEPT - timedelta(minutes=1)
    )

    assert units_and_total(facts, "grid", period) == right


@pytest.mark.django_db(transaction=True)
def test_compacting_drops_old_versions_and_rolling_counts_too_old_to_read(world):
    (first,) = random_facts(world, count=1)
    CaseFact.objects.filter(pk=first).update(urge_count=5)
    CaseFact.objects.filter(pk=first).update(urge_count=6)
    now = timezone.now()
    old, new = FactVersion.objects.order_by("pk")
    FactVersion.objects.filter(pk=old.pk).update(
        captured_at=now - timedelta(days=VERSIONS_KEPT_DAYS, minutes=1)
    )
    PeriodCounts.objects.create(key="read", counts=[], signature=0, as_of=now)
    PeriodCounts.objects.create(
        key="unread", counts=[], signature=0, as_of=now - counting.ROLL_KEPT - timedelta(hours=1)
    )

    fact_changes_compact()

    assert list(FactVersion.objects.values_list("pk", flat=True)) == [new.pk]
    assert list(PeriodCounts.objects.values_list("key", flat=True)) == ["read"]


@pytest.mark.django_db(transaction=True)
def test_a_finished_period_a_step_changed_is_read_from_its_rolling_counts(world, every_read_rolls):
    # A step on one of its cases changes its days: the counts kept by its days are stale, and
    # the page reads the facts changed since, not the whole month again.
    random_facts(world, count=80, grids=3)
    month = period_of("month", date(2026, 2, 1))
    facts = CaseFact.objects.all()
    units_and_total(facts, "grid", month)
    step = facts.filter(measure_q("closed", month, EVENT)).order_by("pk")[0]
    CaseFact.objects.filter(pk=step.pk).update(outcome="late", urge_count=F("urge_count") + 1)

    with CaptureQueriesContext(connection) as captured:
        found = units_and_total(facts, "grid", month)

    (statement,) = [q["sql"] for q in captured.captured_queries if "cases_casefact" in q["sql"]]
    assert '"changed_at" >=' in statement and "reports_factversion" in statement
    assert found == units_and_total(afresh(facts), "grid", month)

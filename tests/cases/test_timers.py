"""Traffic lights: yellow at 80 %, red at 100 %, escalation at the configured multiple; the sweep
reads only due cases, writes each change once and notifies the people concerned once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases import clock, services
from cases.facts import CaseFact, facts_differences
from cases.models import Case, CaseEvent
from cases.workflow import Status, SystemEvent
from departments.models import Notice
from gridcity.models import OutboxTask
from tests.factories.cases import case_in_state, report_case

pytestmark = pytest.mark.django_db
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def timer_events(case: Case) -> list[tuple[str, str]]:
    return [
        (e.action, e.data["colour"])
        for e in case.events.filter(
            action__in=[SystemEvent.TIMER_CHANGED, SystemEvent.ESCALATED]
        ).order_by("sequence")
    ]


def test_acceptance_light_turns_yellow_red_and_escalates_once_each(world, settings):
    settings.GRIDCITY_ESCALATE_AT = 1.5
    with clock.played_at(MONDAY_9):
        case = report_case(world)  # acceptance: 30 working minutes
    assert (case.timer_colour, case.step_deadline) == ("green", MONDAY_9 + timedelta(minutes=30))
    assert case.next_timer_change_at == MONDAY_9 + timedelta(minutes=24)

    changed = [
        services.sweep_case_timers(now=MONDAY_9 + timedelta(minutes=10)),
        services.sweep_case_timers(now=MONDAY_9 + timedelta(minutes=25)),
        services.sweep_case_timers(now=MONDAY_9 + timedelta(minutes=25)),
        services.sweep_case_timers(now=MONDAY_9 + timedelta(minutes=31)),
        services.sweep_case_timers(now=MONDAY_9 + timedelta(minutes=46)),
        services.sweep_case_timers(now=MONDAY_9 + timedelta(hours=5)),
    ]

    case.refresh_from_db()
    assert changed == [0, 1, 0, 1, 1, 0]
    assert timer_events(case) == [
        (SystemEvent.TIMER_CHANGED, "yellow"),
        (SystemEvent.TIMER_CHANGED, "red"),
        (SystemEvent.ESCALATED, "red"),
    ]
    assert (case.timer_colour, case.escalated, case.next_timer_change_at) == ("red", True, None)


def test_working_time_light_waits_over_lunch_and_the_night(world):
    with clock.played_at(MONDAY_9.replace(hour=11, minute=50)):
        case = report_case(world)

    # 10 minutes before noon, 20 after 13:30: the deadline is 13:50 and yellow comes at 13:44.
    assert case.step_deadline == MONDAY_9.replace(hour=13, minute=50)
    assert case.next_timer_change_at == MONDAY_9.replace(hour=13, minute=44)
    assert services.sweep_case_timers(now=MONDAY_9.replace(hour=13, minute=0)) == 0


def test_sweep_notifies_step_people_dispatchers_and_supervisors_once(world):
    with clock.played_at(MONDAY_9):
        case = report_case(world)
    services.sweep_case_timers(now=MONDAY_9 + timedelta(minutes=25))
    event = CaseEvent.objects.get(case=case, action=SystemEvent.TIMER_CHANGED)

    stored = services.case_event_notify(event_id=event.pk)
    again = services.case_event_notify(event_id=event.pk)

    recipients = set(
        Notice.objects.filter(kind="case.timer_changed").values_list("recipient", flat=True)
    )
    assert recipients == {world.acceptor.pk, world.dispatcher.pk, world.supervisor.pk}
    assert (stored, again) == (3, 0)


def test_timer_due_reads_only_open_due_cases(world):
    with clock.played_at(MONDAY_9):
        due = report_case(world)
        later = report_case(world, location=world.point(grid=1))
    Case.objects.filter(pk=later.pk).update(next_timer_change_at=MONDAY_9 + timedelta(days=1))

    found = list(Case.objects.timer_due(now=MONDAY_9 + timedelta(minutes=25)))

    assert found == [due]


def test_one_batch_writes_each_case_its_own_events_in_sequence(world, settings):
    settings.GRIDCITY_ESCALATE_AT = 1.5
    with clock.played_at(MONDAY_9.replace(hour=8, minute=30)):
        early = report_case(world)  # red at 9:00, escalated at 9:15
    with clock.played_at(MONDAY_9):
        turning = report_case(world, location=world.point(dx=0.2))  # yellow at 9:24
        filed = case_in_state(world, Status.FILED)  # dispatch: yellow at 9:24 too
    with clock.played_at(MONDAY_9.replace(minute=10)):
        waiting = report_case(world, location=world.point(dx=0.8))  # yellow at 9:34
    history = {case.pk: case.events.count() for case in (early, turning, filed, waiting)}

    changed = services.sweep_case_timers(now=MONDAY_9 + timedelta(minutes=25))

    assert changed == 3
    assert timer_payloads(early) == [
        (history[early.pk] + 1, SystemEvent.TIMER_CHANGED, payload(early, "red")),
        (history[early.pk] + 2, SystemEvent.ESCALATED, payload(early, "red")),
    ]
    assert timer_payloads(turning) == [
        (history[turning.pk] + 1, SystemEvent.TIMER_CHANGED, payload(turning, "yellow")),
    ]
    assert timer_payloads(filed) == [
        (history[filed.pk] + 1, SystemEvent.TIMER_CHANGED, payload(filed, "yellow")),
    ]
    assert timer_payloads(waiting) == []
    for case in (early, turning, filed, waiting):
        sequences = list(case.events.order_by("sequence").values_list("sequence", flat=True))
        assert sequences == list(range(1, len(sequences) + 1))
        assert CaseFact.objects.get(case=case).last_sequence == len(sequences)
    assert facts_differences() == []


def test_sweep_queues_few_notice_tasks_naming_each_event_once(world, monkeypatch):
    monkeypatch.setattr("cases.services._core.NOTICE_EVENTS_PER_TASK", 3)
    with clock.played_at(MONDAY_9):
        cases = [report_case(world, location=world.point(dx=0.1 + i * 0.2)) for i in range(3)]
    OutboxTask.objects.all().delete()

    services.sweep_case_timers(now=MONDAY_9 + timedelta(hours=5), batch_size=2)

    events = CaseEvent.objects.filter(
        case__in=cases, action__in=[SystemEvent.TIMER_CHANGED, SystemEvent.ESCALATED]
    )
    queued = OutboxTask.objects.filter(task="cases.tasks.notify_case_events").order_by("pk")
    assert len(events) == 6
    # Two sweep batches (4 and 2 events), their notices in tasks of at most 3 events.
    assert [len(row.kwargs["event_ids"]) for row in queued] == [3, 1, 2]
    assert sorted(pk for row in queued for pk in row.kwargs["event_ids"]) == sorted(
        e.pk for e in events
    )
    assert set(queued.values_list("sent_at", flat=True)) == {None}  # sent after the commit


def test_batch_notice_task_run_twice_tells_each_person_once_per_event(world):
    with clock.played_at(MONDAY_9):
        report_case(world)
        report_case(world, location=world.point(dx=0.2))
    services.sweep_case_timers(now=MONDAY_9 + timedelta(hours=5))
    (row,) = OutboxTask.objects.filter(task="cases.tasks.notify_case_events")

    stored = services.case_events_notify(**row.kwargs)
    again = services.case_events_notify(**row.kwargs)

    people = {world.acceptor.pk, world.dispatcher.pk, world.supervisor.pk}
    notices = Notice.objects.filter(kind__in=["case.timer_changed", "case.escalated"])
    assert (stored, again) == (4 * len(people), 0)
    assert sorted(notices.values_list("dedupe_key", flat=True)) == sorted(
        f"case-event:{pk}" for pk in row.kwargs["event_ids"] for _ in people
    )


def test_sweep_puts_right_a_drifted_fact_snapshot(world):
    with clock.played_at(MONDAY_9):
        case = report_case(world)
    CaseFact.objects.filter(case=case).update(
        grid_code="370202001001999", location=world.point(grid=1)
    )

    services.sweep_case_timers(now=MONDAY_9 + timedelta(minutes=25))

    fact = CaseFact.objects.get(case=case)
    assert (fact.grid_code, fact.location) == (case.grid.code, case.location)
    assert facts_differences(case_ids=[case.pk]) == []


def test_sweep_folds_a_missing_fact_from_the_whole_log(world):
    with clock.played_at(MONDAY_9):
        case = case_in_state(world, Status.FILED)
        fresh = report_case(world, location=world.point(dx=0.2))
    CaseFact.objects.filter(case=case).delete()  # filed before the facts existed
    due = Case.objects.get(pk=case.pk).next_timer_change_at

    services.sweep_case_timers(now=due)

    fact = CaseFact.objects.get(case=case)
    assert (fact.accepted_at, fact.filed_at) == (MONDAY_9, MONDAY_9)
    assert fact.last_sequence == case.events.count()
    assert facts_differences(case_ids=[case.pk, fresh.pk]) == []


def test_small_batches_sweep_every_due_case_once(world):
    with clock.played_at(MONDAY_9):
        cases = [report_case(world, location=world.point(dx=0.1 + i * 0.15)) for i in range(5)]

    changed = services.sweep_case_timers(now=MONDAY_9 + timedelta(minutes=25), batch_size=2)
    again = services.sweep_case_timers(now=MONDAY_9 + timedelta(minutes=25), batch_size=2)

    assert (changed, again) == (5, 0)
    assert [timer_events(case) for case in cases] == [[(SystemEvent.TIMER_CHANGED, "yellow")]] * 5


def timer_payloads(case: Case) -> list[tuple[int, str, dict]]:
    return [
        (e.sequence, e.action, e.data)
        for e in case.events.filter(
            action__in=[SystemEvent.TIMER_CHANGED, SystemEvent.ESCALATED]
        ).order_by("sequence")
    ]


def payload(case: Case, colour: str) -> dict:
    """The data of a timer event that left green for ``colour`` in the case's current step
    (the deadline as the sweep reads it from the database, in UTC)."""
    case = Case.objects.get(pk=case.pk)
    return {
        "step": case.step,
        "from_colour": "green",
        "colour": colour,
        "deadline": case.step_deadline.isoformat(),
    }

"""Traffic lights: yellow at 80 %, red at 100 %, escalation at the configured multiple; the sweep
reads only due cases, writes each change once and notifies the people concerned once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases import clock, services
from cases.models import Case, CaseEvent
from cases.workflow import SystemEvent
from departments.models import Notice
from tests.factories.cases import report_case

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

"""The timer sweep after an outage: beat was down for hours, then two sweeps start at once (and a
third catches up behind them), and every notice is delivered twice at once. Each light change and
each escalation is written once, and each person hears of each once."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases import clock, services
from cases.models import Case, CaseEvent
from cases.workflow import SystemEvent
from departments.models import Notice
from tests.concurrency import run_together
from tests.factories.cases import build_world, report_case

pytestmark = pytest.mark.usefixtures("tasks_in_process")

MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
CASES = 10


@pytest.mark.django_db(transaction=True)
def test_late_sweeps_at_once_escalate_and_notify_each_case_once():
    world = build_world()
    with clock.played_at(MONDAY_9):  # acceptance within 30 working minutes
        cases = [report_case(world, location=world.point(dx=0.05 + i * 0.09)) for i in range(CASES)]
    late = MONDAY_9 + timedelta(hours=5)  # beat was down all morning

    changed = run_together(
        lambda: services.sweep_case_timers(now=late, batch_size=3),
        lambda: services.sweep_case_timers(now=late, batch_size=3),
    )
    catch_up = services.sweep_case_timers(now=late)
    timer_events = list(
        CaseEvent.objects.filter(action__in=[SystemEvent.TIMER_CHANGED, SystemEvent.ESCALATED])
    )
    # Each notice task delivered twice, at the same moment (a redelivered task).
    for event in timer_events:
        run_together(
            lambda pk=event.pk: services.case_event_notify(event_id=pk),
            lambda pk=event.pk: services.case_event_notify(event_id=pk),
        )

    assert sum(changed) == CASES and catch_up == 0, changed
    for case in cases:
        written = list(
            case.events.filter(action__in=[SystemEvent.TIMER_CHANGED, SystemEvent.ESCALATED])
            .order_by("sequence")
            .values_list("action", "data__colour")
        )
        # Green straight to red (no yellow replayed for a moment long past), then escalated.
        assert written == [(SystemEvent.TIMER_CHANGED, "red"), (SystemEvent.ESCALATED, "red")]
    assert set(Case.objects.values_list("timer_colour", "escalated")) == {("red", True)}
    per_person = Counter(
        Notice.objects.filter(kind__in=["case.timer_changed", "case.escalated"]).values_list(
            "recipient", "dedupe_key"
        )
    )
    expected = {world.acceptor.pk, world.dispatcher.pk, world.supervisor.pk}
    assert set(per_person.values()) == {1}
    assert len(per_person) == len(timer_events) * len(expected)
    assert {recipient for recipient, _ in per_person} == expected

"""The traffic light of a case's current step, in working time (or natural time for emergencies),
and the sweep that turns lights yellow, red and escalated when their moment comes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from cases import clock
from cases.models import Case, CaseEvent, TimerColour
from cases.workflow import CLOCK_STOPPED, OPEN_STATUSES, STEP_OF_STATUS, Status, Step, SystemEvent
from departments.calendar import WorkCalendar, work_calendar
from departments.selectors import time_limit_for
from gridcity.db import rows_update

logger = logging.getLogger(__name__)

YELLOW_AT = 0.8


def escalate_at() -> float:
    """The multiple of the limit at which an open step is escalated to the supervisors."""
    return float(getattr(settings, "GRIDCITY_ESCALATE_AT", 1.5))


@dataclass(frozen=True)
class TimerState:
    colour: str
    escalated: bool
    next_change_at: datetime | None


def timer_state(*, case: Case, calendar: WorkCalendar, now: datetime) -> TimerState:
    """The light of the case at ``now`` and when it may next change. Time the case spent
    suspended within the step counts neither as used nor as allowed."""
    if (
        case.status not in OPEN_STATUSES
        or case.step_started_at is None
        or case.step_deadline is None
    ):
        return TimerState(TimerColour.NONE, False, None)
    natural = case.step_natural
    start, suspended = case.step_started_at, case.step_suspended
    allowed = calendar.elapsed(start, case.step_deadline, natural=natural) - suspended
    allowed = max(allowed, timedelta(0))
    yellow = calendar.add(start, suspended + allowed * YELLOW_AT, natural=natural)
    red = case.step_deadline
    escalate = calendar.add(start, suspended + allowed * escalate_at(), natural=natural)
    colour = (
        TimerColour.RED
        if now >= red
        else TimerColour.YELLOW
        if now >= yellow
        else TimerColour.GREEN
    )
    escalated = now >= escalate
    if case.status in CLOCK_STOPPED:
        return TimerState(colour, escalated, None)
    upcoming = [moment for moment in (yellow, red, escalate) if moment > now]
    return TimerState(colour, escalated, min(upcoming) if upcoming else None)


def step_restart(case: Case, *, step: Step, now: datetime, calendar: WorkCalendar) -> None:
    """Start the step's clock at ``now`` with the limit for the case's category and urgency."""
    limit = time_limit_for(step=step, category=case.category, urgency=case.urgency)
    case.step = step
    case.step_started_at = now
    case.step_deadline = calendar.add(now, limit.duration, natural=limit.natural)
    case.step_natural = limit.natural
    case.step_suspended = timedelta(0)
    if step == Step.HANDLE:
        case.handling_started_at = now
        case.handling_deadline = case.step_deadline
    timers_refresh(case, now=now, calendar=calendar)


def step_stop(case: Case) -> None:
    """A terminal status: no clock runs any more."""
    case.step = ""
    case.step_started_at = None
    case.step_deadline = None
    case.step_natural = False
    case.step_suspended = timedelta(0)
    case.timer_colour = TimerColour.NONE
    case.escalated = False
    case.next_timer_change_at = None


def timers_refresh(case: Case, *, now: datetime, calendar: WorkCalendar) -> TimerState:
    state = timer_state(case=case, calendar=calendar, now=now)
    case.timer_colour = state.colour
    case.escalated = state.escalated
    case.next_timer_change_at = state.next_change_at
    return state


def timers_after_status_change(
    case: Case,
    *,
    old_status: str,
    new_status: str,
    now: datetime,
    calendar: WorkCalendar,
    restart: bool = False,
) -> None:
    """Restart the clock when the case enters a new step (or when ``restart`` forces it, as for
    rework), stop it at a terminal status, and leave it running otherwise."""
    step = STEP_OF_STATUS[Status(new_status)]
    if step is None:
        step_stop(case)
    elif restart or step != STEP_OF_STATUS[Status(old_status)] or case.step != step:
        step_restart(case, step=step, now=now, calendar=calendar)


def sweep_case_timers(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Bring every due light up to date; returns how many cases changed.

    Due cases are taken a batch at a time, each batch in its own transaction: one query locks
    up to ``batch_size`` of them (SKIP LOCKED, so parallel sweeps share the work and never both
    hold a case), the lights are worked out in Python, and the batch's cases, events, facts and
    notices are written in a handful of statements whatever its size. A case leaves the due set
    when its batch commits, so a sweep that dies mid-way leaves the remaining batches due for
    the next one, and a late sweep writes one event per change (the light goes straight to the
    colour of ``now``).
    """
    from cases.services._core import events_write_bulk, queue_events_notices

    moment = now or clock.now()
    calendar = work_calendar()
    changed = 0
    # The cases this sweep left still due: none while timer_state only ever schedules the next
    # change after ``now``, but should that break, the sweep must end rather than spin on them.
    stuck: set[int] = set()
    while True:
        with transaction.atomic():
            # Lock the case rows only: locking the joined category too would make a parallel
            # sweep skip every case of that category. The grid is joined for its code (the
            # fact's snapshot), not for its outline, which would be decoded for every case.
            due = (
                Case.objects.select_for_update(skip_locked=True, of=("self",))
                .timer_due(now=moment)
                .select_related("category", "grid")
                .defer("grid__boundary")
                .order_by("next_timer_change_at", "pk")
            )
            if stuck:
                due = due.exclude(pk__in=stuck)
            cases = list(due[:batch_size])
            if not cases:
                return changed
            events: list[CaseEvent] = []
            for case in cases:
                before = (case.timer_colour, case.escalated)
                state = timers_refresh(case, now=moment, calendar=calendar)
                if state.colour != before[0]:
                    events.append(_timer_event(case, SystemEvent.TIMER_CHANGED, moment, before[0]))
                if state.escalated and not before[1]:
                    events.append(_timer_event(case, SystemEvent.ESCALATED, moment, before[0]))
                if state.next_change_at is not None and state.next_change_at <= moment:
                    logger.error("case %s still due after its sweep; left to the next", case.pk)
                    stuck.add(case.pk)
            rows_update(cases, ["timer_colour", "escalated", "next_timer_change_at"])
            queue_events_notices(events_write_bulk(events))
            changed += len({event.case_id for event in events})


def _timer_event(case: Case, kind: SystemEvent, now: datetime, old_colour: str) -> CaseEvent:
    return CaseEvent(
        case=case,
        action=kind,
        actor=None,
        actor_role="system",
        from_status=case.status,
        to_status=case.status,
        data={
            "step": case.step,
            "from_colour": old_colour,
            "colour": case.timer_colour,
            "deadline": case.step_deadline.isoformat() if case.step_deadline else None,
        },
        created_at=now,
    )

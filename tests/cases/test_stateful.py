"""A property-based stateful test: random allowed and disallowed actions, by the right or a
wrong role, with time moving on, checking the invariants after every step."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from cases import clock, services, workflow
from cases.models import Case
from cases.workflow import TERMINAL_STATUSES, Action, Status
from departments.calendar import work_calendar
from gridcity.errors import InvalidTransition, NotPermitted
from tests.factories.cases import World, build_world, report_case, valid_arguments

START = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
ACTIONS = sorted(workflow.TRANSITIONS)
ROLE_OF_PERSON = {"other_inspector": "inspector", "street_handler": "handler"}


class CaseMachine(RuleBasedStateMachine):
    world: World  # set by the test before running

    @initialize()
    def report(self) -> None:
        # Each example runs in its own savepoint, rolled back in teardown: examples stay
        # independent and the tables do not grow from one example to the next.
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.now = START
        self.calendar = work_calendar()
        with clock.played_at(self.now):
            self.case_id = report_case(self.world).pk
        self.status = Status.REPORTED
        self.pending = ""
        self.left_at_suspension: timedelta | None = None

    @property
    def case(self) -> Case:
        return Case.objects.get(pk=self.case_id)

    @rule(
        choice=st.integers(min_value=0, max_value=99),
        action=st.sampled_from(ACTIONS),
        minutes=st.integers(min_value=1, max_value=3 * 24 * 60),
    )
    def step(self, choice: int, action: Action, minutes: int) -> None:
        """One move: mostly an allowed action (random ones alone rarely get far along the loop),
        else a random action by the right role, one by a wrong role, time passing, or a sweep."""
        if choice < 55:
            self.act_allowed(choice)
        elif choice < 70:
            self.act(action, right_role=True, pick=choice)
        elif choice < 80:
            self.act(action, right_role=False, pick=choice)
        elif choice < 95:
            self.now += timedelta(minutes=minutes)
        else:
            services.sweep_case_timers(now=self.now)

    def act_allowed(self, pick: int) -> None:
        allowed = workflow.allowed_actions(self.status, pending=self.pending)
        if not allowed:
            return
        # Mostly keep the case alive (reject, void and verify-fail end it early).
        onward = [
            a
            for a in allowed
            if a == Action.CLOSE
            or workflow.target(self.status, a, pending=self.pending) not in TERMINAL_STATUSES
        ]
        choices = onward if onward and pick >= 5 else allowed
        self.act(choices[pick % len(choices)], right_role=True, pick=pick)

    def act(self, action: Action, *, right_role: bool, pick: int) -> None:
        with clock.played_at(self.now):  # an extension's new deadline is after the present
            kwargs = valid_arguments(self.world, action, self.case_id)
        row = workflow.transition_for(action)
        if not right_role:
            wrong = [
                user
                for name, user in sorted(self.world.people.items())
                if ROLE_OF_PERSON.get(name, name) not in row.roles
            ]
            kwargs["actor"] = wrong[pick % len(wrong)]
        allowed = workflow.is_allowed(self.status, action, pending=self.pending)
        before = self.case
        with clock.played_at(self.now):
            if not right_role:
                with pytest.raises(NotPermitted):
                    services.ACTION_SERVICES[action](case_id=self.case_id, **kwargs)
                return
            if not allowed:
                with pytest.raises(InvalidTransition):
                    services.ACTION_SERVICES[action](case_id=self.case_id, **kwargs)
                return
            after = services.ACTION_SERVICES[action](case_id=self.case_id, **kwargs)
        self.status = workflow.target(self.status, action, pending=self.pending)
        self.pending = after.pending
        assert after.status == self.status
        assert after.version == before.version + 1
        if action == Action.APPROVE_SUSPENSION:
            self.left_at_suspension = self.calendar.elapsed(
                self.now, after.handling_deadline, natural=after.step_natural
            )
        if action == Action.RESUME:
            # The suspended time is excluded: what was left at suspension is left now.
            left = self.calendar.elapsed(
                self.now, after.handling_deadline, natural=after.step_natural
            )
            assert left == self.left_at_suspension
            paused = self.calendar.elapsed(
                before.suspended_at, self.now, natural=after.step_natural
            )
            assert after.suspended_total == before.suspended_total + paused
            self.left_at_suspension = None

    def teardown(self) -> None:
        if hasattr(self, "savepoint"):
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

    @invariant()
    def counters_equal_the_event_log(self) -> None:
        case = self.case
        count = Counter(case.events.values_list("action", flat=True))
        assert case.rework_count == count[Action.REINSPECT_FAIL]
        assert case.extension_count == count[Action.APPROVE_EXTENSION]
        assert case.sendback_count == count[Action.APPROVE_SENDBACK]
        assert case.urge_count == count[Action.URGE]
        sequences = list(case.events.order_by("sequence").values_list("sequence", flat=True))
        assert sequences == list(range(1, len(sequences) + 1))

    @invariant()
    def closed_case_passed_reinspection(self) -> None:
        case = self.case
        if case.status != Status.CLOSED:
            return
        actions = list(case.events.order_by("sequence").values_list("action", flat=True))
        if Action.APPROVE_SELF_HANDLE in actions:
            return  # the inspector's own on-the-spot handling, approved by the command centre
        last_handled = max(i for i, a in enumerate(actions) if a == Action.REPORT_HANDLED)
        assert Action.REINSPECT_PASS in actions[last_handled:]
        assert case.outcome in {"on_time", "overdue"}

    @invariant()
    def suspended_case_has_its_clock_stopped(self) -> None:
        case = self.case
        if case.status == Status.SUSPENDED:
            assert case.suspended_at is not None
            assert case.next_timer_change_at is None
            assert case not in Case.objects.timer_due(now=self.now + timedelta(days=365))
        else:
            assert case.suspended_at is None
        resumed = sum(e.data["suspended_seconds"] for e in case.events.filter(action=Action.RESUME))
        assert case.suspended_total == timedelta(seconds=resumed)

    @invariant()
    def status_and_pending_match_the_model(self) -> None:
        case = self.case
        assert (case.status, case.pending) == (self.status, self.pending)
        assert case.pending == "" or case.status == Status.HANDLING


@pytest.mark.django_db
def test_random_actions_keep_the_case_invariants():
    CaseMachine.world = build_world()

    run_state_machine_as_test(
        CaseMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=50,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )

"""The transition table itself: every (status, action, role) triple, and the table's shape."""

from __future__ import annotations

import itertools

import pytest

from cases import workflow
from cases.workflow import (
    OPEN_STATUSES,
    TERMINAL_STATUSES,
    Action,
    Pending,
    Source,
    Status,
)
from departments.roles import Role
from gridcity.errors import InvalidTransition

# The expected table, written out independently of cases.workflow so that a change to either
# shows up here: action -> (from statuses, pending required, roles, target; None = unchanged).
H = (Role.HANDLER, Role.DEPARTMENT_LEAD)
EXPECTED = {
    Action.SEND_FOR_VERIFICATION: ({"reported"}, "", {Role.ACCEPTOR}, "awaiting_verification"),
    Action.VERIFY_PASS: ({"awaiting_verification"}, "", {Role.INSPECTOR}, "reported"),
    Action.VERIFY_FAIL: ({"awaiting_verification"}, "", {Role.INSPECTOR}, "not_accepted"),
    Action.ACCEPT: ({"reported"}, "", {Role.ACCEPTOR}, "accepted"),
    Action.REJECT: (
        {"reported", "accepted"},
        "",
        {Role.ACCEPTOR, Role.SHIFT_LEADER},
        "not_accepted",
    ),
    Action.SELF_HANDLE: ({"reported"}, "", {Role.INSPECTOR}, "self_handled"),
    Action.APPROVE_SELF_HANDLE: (
        {"self_handled"},
        "",
        {Role.ACCEPTOR, Role.SHIFT_LEADER},
        "closed",
    ),
    Action.DENY_SELF_HANDLE: ({"self_handled"}, "", {Role.ACCEPTOR, Role.SHIFT_LEADER}, "accepted"),
    Action.FILE: ({"accepted"}, "", {Role.SHIFT_LEADER}, "filed"),
    Action.VOID: ({"filed"}, "", {Role.SHIFT_LEADER}, "voided"),
    Action.DISPATCH: ({"filed"}, "", {Role.DISPATCHER}, "handling"),
    Action.REQUEST_SENDBACK: ({"handling"}, "", set(H), None),
    Action.APPROVE_SENDBACK: ({"handling"}, "sendback", {Role.DISPATCHER}, "filed"),
    Action.DENY_SENDBACK: ({"handling"}, "sendback", {Role.DISPATCHER}, None),
    Action.REQUEST_EXTENSION: ({"handling"}, "", set(H), None),
    Action.APPROVE_EXTENSION: ({"handling"}, "extension", {Role.DISPATCHER}, None),
    Action.DENY_EXTENSION: ({"handling"}, "extension", {Role.DISPATCHER}, None),
    Action.REQUEST_SUSPENSION: ({"handling"}, "", set(H), None),
    Action.APPROVE_SUSPENSION: ({"handling"}, "suspension", {Role.DISPATCHER}, "suspended"),
    Action.DENY_SUSPENSION: ({"handling"}, "suspension", {Role.DISPATCHER}, None),
    Action.RESUME: ({"suspended"}, "", {Role.DISPATCHER}, "handling"),
    Action.REPORT_HANDLED: ({"handling"}, "", set(H), "handled"),
    Action.SEND_FOR_REINSPECTION: ({"handled"}, "", {Role.ACCEPTOR}, "awaiting_reinspection"),
    Action.REINSPECT_PASS: ({"awaiting_reinspection"}, "", {Role.INSPECTOR}, "awaiting_closing"),
    Action.REINSPECT_FAIL: ({"awaiting_reinspection"}, "", {Role.INSPECTOR}, "handling"),
    Action.CLOSE: ({"awaiting_closing"}, "", {Role.SHIFT_LEADER}, "closed"),
    Action.URGE: ({str(s) for s in OPEN_STATUSES}, "*", {Role.SUPERVISOR}, None),
}
# Pending requests only exist while handling (a database constraint says so too).
STATES = [(status, "") for status in Status] + [
    (Status.HANDLING, pending) for pending in Pending if pending
]


def expected_outcome(status: str, pending: str, action: Action, role: Role) -> str | None:
    """The target status, or None when the triple is refused."""
    sources, needs, roles, target = EXPECTED[action]
    if status not in sources or (needs != "*" and needs != pending) or role not in roles:
        return None
    return target or status


def test_table_has_one_row_for_every_action_but_report():
    assert set(workflow.TRANSITIONS) == set(Action) - {Action.REPORT}
    assert set(EXPECTED) == set(workflow.TRANSITIONS)


@pytest.mark.parametrize(
    ("state", "action", "role"), list(itertools.product(STATES, list(EXPECTED), list(Role)))
)
def test_every_status_action_role_triple_matches_the_table(state, action, role):
    status, pending = state

    expected = expected_outcome(status, pending, action, role)
    allowed = action in workflow.allowed_actions(status, [role], pending=pending)

    assert allowed == (expected is not None)
    if expected is not None:
        assert workflow.target(status, action, pending=pending) == expected
        assert workflow.acting_role(action, [role]) == role


def test_target_refuses_with_the_allowed_actions_listed():
    with pytest.raises(InvalidTransition) as refused:
        workflow.target(Status.FILED, Action.CLOSE)

    assert refused.value.http_status == 409
    assert refused.value.details["allowed_actions"] == ["void", "dispatch", "urge"]
    assert "结案" in refused.value.message


def test_terminal_statuses_allow_nothing():
    for status in TERMINAL_STATUSES:
        assert workflow.allowed_actions(status) == []


def test_every_open_status_can_be_left_by_someone():
    for status in OPEN_STATUSES:
        moves = [a for a in workflow.allowed_actions(status) if a != Action.URGE]
        assert moves or status == Status.HANDLING, status


def test_every_status_is_reachable_from_a_report():
    reached = {workflow.report_target(source) for source in Source}
    frontier = list(reached)
    while frontier:
        status = frontier.pop()
        for pending in Pending:
            if pending and status != Status.HANDLING:
                continue
            for action in workflow.allowed_actions(status, pending=pending):
                nxt = workflow.target(status, action, pending=pending)
                if nxt not in reached:
                    reached.add(nxt)
                    frontier.append(nxt)

    assert reached == set(Status)


def test_public_and_hotline_reports_are_verified_first():
    assert workflow.report_target(Source.INSPECTOR) == Status.REPORTED
    assert workflow.report_target(Source.VIDEO) == Status.REPORTED
    for source in (Source.PUBLIC, Source.HOTLINE_12345, Source.HOTLINE_12319, Source.OPEN311):
        assert workflow.report_target(source) == Status.AWAITING_VERIFICATION


def test_acting_role_prefers_a_stable_role_and_refuses_others():
    assert workflow.acting_role(Action.REJECT, [Role.SHIFT_LEADER, Role.ACCEPTOR]) == Role.ACCEPTOR
    assert workflow.acting_role(Action.REPORT, [Role.INSPECTOR]) == Role.INSPECTOR
    assert workflow.acting_role(Action.CLOSE, [Role.ADMINISTRATOR, Role.DISPATCHER]) is None

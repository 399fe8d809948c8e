"""The case workflow as a table: statuses, actions, who may take which action from where, and
where it leads. Pure Python: no database, no services; every service consults this table.

Design decisions (documented here because the table is the reference):
- Pending approvals (send-back, extension, suspension asked by a department) are not statuses:
  the case stays in ``handling`` with ``Pending`` recorded on it, so the handling clock, the
  department and the deadline stay where they are until the dispatcher decides.
- After a department reports back the case is ``handled`` (反馈, waiting for the acceptor to send a
  re-inspection task); the inspector's on-site check is ``awaiting_reinspection``.
- The inspector's on-the-spot handling (自处理) is ``self_handled`` until the command centre
  approves it (closed) or denies it (accepted: it enters the normal loop).
- ``report`` has no source status: it creates the case; its target depends on the source
  (public, hotline and Open311 reports are verified on site first).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _

from departments.roles import Role
from gridcity.errors import InvalidTransition


class Status(models.TextChoices):
    REPORTED = "reported", _("待受理")
    AWAITING_VERIFICATION = "awaiting_verification", _("待核实")
    ACCEPTED = "accepted", _("已受理")
    NOT_ACCEPTED = "not_accepted", _("不予受理")
    SELF_HANDLED = "self_handled", _("自处理待确认")
    FILED = "filed", _("已立案")
    VOIDED = "voided", _("已作废")
    HANDLING = "handling", _("处置中")
    SUSPENDED = "suspended", _("挂账")
    HANDLED = "handled", _("已反馈")
    AWAITING_REINSPECTION = "awaiting_reinspection", _("待核查")
    AWAITING_CLOSING = "awaiting_closing", _("待结案")
    CLOSED = "closed", _("已结案")


TERMINAL_STATUSES = frozenset({Status.NOT_ACCEPTED, Status.VOIDED, Status.CLOSED})
OPEN_STATUSES = frozenset(set(Status) - TERMINAL_STATUSES)


class Pending(models.TextChoices):
    """A department's request waiting for the dispatcher while the case is being handled."""

    NONE = "", _("无")
    SENDBACK = "sendback", _("申请回退")
    EXTENSION = "extension", _("申请延期")
    SUSPENSION = "suspension", _("申请挂账")


class Action(models.TextChoices):
    REPORT = "report", _("上报")
    SEND_FOR_VERIFICATION = "send_for_verification", _("派发核实")
    VERIFY_PASS = "verify_pass", _("核实属实")
    VERIFY_FAIL = "verify_fail", _("核实不属实")
    ACCEPT = "accept", _("受理")
    REJECT = "reject", _("不予受理")
    SELF_HANDLE = "self_handle", _("自行处理")
    APPROVE_SELF_HANDLE = "approve_self_handle", _("确认自处理")
    DENY_SELF_HANDLE = "deny_self_handle", _("不认可自处理")
    FILE = "file", _("立案")
    VOID = "void", _("作废")
    DISPATCH = "dispatch", _("派遣")
    REQUEST_SENDBACK = "request_sendback", _("申请回退")
    APPROVE_SENDBACK = "approve_sendback", _("同意回退")
    DENY_SENDBACK = "deny_sendback", _("驳回回退")
    REQUEST_EXTENSION = "request_extension", _("申请延期")
    APPROVE_EXTENSION = "approve_extension", _("同意延期")
    DENY_EXTENSION = "deny_extension", _("驳回延期")
    REQUEST_SUSPENSION = "request_suspension", _("申请挂账")
    APPROVE_SUSPENSION = "approve_suspension", _("同意挂账")
    DENY_SUSPENSION = "deny_suspension", _("驳回挂账")
    RESUME = "resume", _("恢复处置")
    REPORT_HANDLED = "report_handled", _("处置反馈")
    SEND_FOR_REINSPECTION = "send_for_reinspection", _("派发核查")
    REINSPECT_PASS = "reinspect_pass", _("核查通过")
    REINSPECT_FAIL = "reinspect_fail", _("核查未通过（返工）")
    CLOSE = "close", _("结案")
    URGE = "urge", _("督办")


class SystemEvent(models.TextChoices):
    """Events the platform writes by itself (no person acts); they never change the status."""

    ROUTE_SUGGESTED = "route_suggested", _("建议责任部门")
    DUPLICATE_FLAGGED = "duplicate_flagged", _("疑似重复")
    TIMER_CHANGED = "timer_changed", _("计时变色")
    ESCALATED = "escalated", _("超时升级")


class Source(models.TextChoices):
    INSPECTOR = "inspector", _("监督员上报")
    PUBLIC = "public", _("公众举报")
    HOTLINE_12345 = "hotline_12345", _("12345热线")
    HOTLINE_12319 = "hotline_12319", _("12319热线")
    VIDEO = "video", _("视频监控")
    OPEN311 = "open311", _("Open311")
    OTHER_SYSTEM = "other_system", _("其他系统")


# Reports from people who are not trained inspectors are verified on site before acceptance.
SOURCES_NEEDING_VERIFICATION = frozenset(
    {Source.PUBLIC, Source.HOTLINE_12345, Source.HOTLINE_12319, Source.OPEN311}
)

REPORT_ROLES = frozenset({Role.INSPECTOR, Role.ACCEPTOR})


class Scope(StrEnum):
    """Which extra check the actor must pass beyond holding the role (see services._core)."""

    COMMAND = "command"  # command-centre roles act on any case
    LEAD_DEPARTMENT = "lead_department"  # handler or lead of the case's lead department
    PATROL_GRID = "patrol_grid"  # inspector of the case's grid
    AREA = "area"  # supervisor of the case's area


@dataclass(frozen=True)
class Transition:
    """One row: from these statuses, with this pending request, these roles may take the action."""

    action: Action
    sources: frozenset[Status]
    roles: frozenset[Role]
    target: Status | None  # None: the status stays as it is
    scope: Scope = Scope.COMMAND
    requires_pending: Pending | None = Pending.NONE  # None: any pending value is fine
    sets_pending: Pending = Pending.NONE


def _row(
    action: Action,
    sources: Iterable[Status],
    roles: Iterable[Role],
    target: Status | None,
    **kwargs: object,
) -> Transition:
    return Transition(action, frozenset(sources), frozenset(roles), target, **kwargs)  # type: ignore[arg-type]


S, A, R, P = Status, Action, Role, Pending
HANDLERS = (R.HANDLER, R.DEPARTMENT_LEAD)
TABLE: tuple[Transition, ...] = (
    _row(A.SEND_FOR_VERIFICATION, [S.REPORTED], [R.ACCEPTOR], S.AWAITING_VERIFICATION),
    _row(
        A.VERIFY_PASS, [S.AWAITING_VERIFICATION], [R.INSPECTOR], S.REPORTED, scope=Scope.PATROL_GRID
    ),
    _row(
        A.VERIFY_FAIL,
        [S.AWAITING_VERIFICATION],
        [R.INSPECTOR],
        S.NOT_ACCEPTED,
        scope=Scope.PATROL_GRID,
    ),
    _row(A.ACCEPT, [S.REPORTED], [R.ACCEPTOR], S.ACCEPTED),
    _row(A.REJECT, [S.REPORTED, S.ACCEPTED], [R.ACCEPTOR, R.SHIFT_LEADER], S.NOT_ACCEPTED),
    _row(A.SELF_HANDLE, [S.REPORTED], [R.INSPECTOR], S.SELF_HANDLED, scope=Scope.PATROL_GRID),
    _row(A.APPROVE_SELF_HANDLE, [S.SELF_HANDLED], [R.ACCEPTOR, R.SHIFT_LEADER], S.CLOSED),
    _row(A.DENY_SELF_HANDLE, [S.SELF_HANDLED], [R.ACCEPTOR, R.SHIFT_LEADER], S.ACCEPTED),
    _row(A.FILE, [S.ACCEPTED], [R.SHIFT_LEADER], S.FILED),
    _row(A.VOID, [S.FILED], [R.SHIFT_LEADER], S.VOIDED),
    _row(A.DISPATCH, [S.FILED], [R.DISPATCHER], S.HANDLING),
    _row(
        A.REQUEST_SENDBACK,
        [S.HANDLING],
        HANDLERS,
        None,
        scope=Scope.LEAD_DEPARTMENT,
        sets_pending=P.SENDBACK,
    ),
    _row(A.APPROVE_SENDBACK, [S.HANDLING], [R.DISPATCHER], S.FILED, requires_pending=P.SENDBACK),
    _row(A.DENY_SENDBACK, [S.HANDLING], [R.DISPATCHER], None, requires_pending=P.SENDBACK),
    _row(
        A.REQUEST_EXTENSION,
        [S.HANDLING],
        HANDLERS,
        None,
        scope=Scope.LEAD_DEPARTMENT,
        sets_pending=P.EXTENSION,
    ),
    _row(A.APPROVE_EXTENSION, [S.HANDLING], [R.DISPATCHER], None, requires_pending=P.EXTENSION),
    _row(A.DENY_EXTENSION, [S.HANDLING], [R.DISPATCHER], None, requires_pending=P.EXTENSION),
    _row(
        A.REQUEST_SUSPENSION,
        [S.HANDLING],
        HANDLERS,
        None,
        scope=Scope.LEAD_DEPARTMENT,
        sets_pending=P.SUSPENSION,
    ),
    _row(
        A.APPROVE_SUSPENSION,
        [S.HANDLING],
        [R.DISPATCHER],
        S.SUSPENDED,
        requires_pending=P.SUSPENSION,
    ),
    _row(A.DENY_SUSPENSION, [S.HANDLING], [R.DISPATCHER], None, requires_pending=P.SUSPENSION),
    _row(A.RESUME, [S.SUSPENDED], [R.DISPATCHER], S.HANDLING),
    _row(A.REPORT_HANDLED, [S.HANDLING], HANDLERS, S.HANDLED, scope=Scope.LEAD_DEPARTMENT),
    _row(A.SEND_FOR_REINSPECTION, [S.HANDLED], [R.ACCEPTOR], S.AWAITING_REINSPECTION),
    _row(
        A.REINSPECT_PASS,
        [S.AWAITING_REINSPECTION],
        [R.INSPECTOR],
        S.AWAITING_CLOSING,
        scope=Scope.PATROL_GRID,
    ),
    _row(
        A.REINSPECT_FAIL,
        [S.AWAITING_REINSPECTION],
        [R.INSPECTOR],
        S.HANDLING,
        scope=Scope.PATROL_GRID,
    ),
    _row(A.CLOSE, [S.AWAITING_CLOSING], [R.SHIFT_LEADER], S.CLOSED),
    _row(A.URGE, OPEN_STATUSES, [R.SUPERVISOR], None, scope=Scope.AREA, requires_pending=None),
)
del S, A, R, P

TRANSITIONS: dict[Action, Transition] = {row.action: row for row in TABLE}
assert len(TRANSITIONS) == len(TABLE), "one row per action"  # noqa: S101


def transition_for(action: Action | str) -> Transition:
    """The table row of an action (``report`` has none: it creates the case)."""
    return TRANSITIONS[Action(action)]


def _pending_ok(row: Transition, pending: Pending | str) -> bool:
    return row.requires_pending is None or row.requires_pending == Pending(pending)


def is_allowed(status: Status | str, action: Action | str, *, pending: Pending | str = "") -> bool:
    """Whether the action may be taken from the status at all, whoever acts."""
    row = TRANSITIONS.get(Action(action))
    return row is not None and Status(status) in row.sources and _pending_ok(row, pending)


def allowed_actions(
    status: Status | str,
    roles: Iterable[Role | str] | None = None,
    *,
    pending: Pending | str = "",
) -> list[Action]:
    """Actions open from the status (to anyone when ``roles`` is None), in table order."""
    held = None if roles is None else {Role(r) for r in roles}
    return [
        row.action
        for row in TABLE
        if is_allowed(status, row.action, pending=pending) and (held is None or row.roles & held)
    ]


def target(status: Status | str, action: Action | str, *, pending: Pending | str = "") -> Status:
    """The status the action leads to, or InvalidTransition naming the allowed actions."""
    if not is_allowed(status, action, pending=pending):
        allowed = allowed_actions(status, pending=pending)
        raise InvalidTransition(
            _("当前状态“%(status)s”下不能执行“%(action)s”，可执行：%(allowed)s")
            % {
                "status": Status(status).label,
                "action": Action(action).label,
                "allowed": "、".join(str(a.label) for a in allowed) or "—",
            },
            status=str(status),
            pending=str(pending),
            action=str(action),
            allowed_actions=[str(a) for a in allowed],
        )
    row = TRANSITIONS[Action(action)]
    return row.target or Status(status)


def report_target(source: Source | str) -> Status:
    """Where a new report starts: verified on site first when it comes from the public."""
    return (
        Status.AWAITING_VERIFICATION
        if Source(source) in SOURCES_NEEDING_VERIFICATION
        else Status.REPORTED
    )


def acting_role(action: Action | str, roles: Iterable[Role | str]) -> Role | None:
    """The role under which a person holding ``roles`` takes the action (None: may not)."""
    allowed = REPORT_ROLES if Action(action) == Action.REPORT else transition_for(action).roles
    held = {Role(r) for r in roles}
    for role in Role:  # Role order is stable, so the recorded role is deterministic
        if role in allowed and role in held:
            return role
    return None


class Step(models.TextChoices):
    """The timed steps; values equal departments' TimeLimit.Step."""

    VERIFY = "verify", _("核实")
    ACCEPT = "accept", _("受理")
    FILE = "file", _("立案")
    DISPATCH = "dispatch", _("派遣")
    HANDLE = "handle", _("处置")
    REINSPECT = "reinspect", _("核查")
    CLOSE = "close", _("结案")


# Which step each status belongs to. Terminal statuses have none; a suspended case stays in its
# handling step with the clock stopped (CLOCK_STOPPED), so resuming does not restart the step.
STEP_OF_STATUS: dict[Status, Step | None] = {
    Status.AWAITING_VERIFICATION: Step.VERIFY,
    Status.REPORTED: Step.ACCEPT,
    Status.ACCEPTED: Step.FILE,
    Status.FILED: Step.DISPATCH,
    Status.HANDLING: Step.HANDLE,
    Status.SUSPENDED: Step.HANDLE,
    Status.HANDLED: Step.REINSPECT,
    Status.AWAITING_REINSPECTION: Step.REINSPECT,
    Status.AWAITING_CLOSING: Step.CLOSE,
    Status.SELF_HANDLED: Step.CLOSE,
    Status.NOT_ACCEPTED: None,
    Status.VOIDED: None,
    Status.CLOSED: None,
}
CLOCK_STOPPED = frozenset({Status.SUSPENDED})

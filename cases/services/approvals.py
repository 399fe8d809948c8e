"""The department's requests for more time (extension) or a stopped clock (suspension, 挂账),
the dispatcher's decisions on them, and resuming a suspended case."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import BusinessType, Case
from cases.services._core import Act, perform
from cases.services.timers import timers_refresh
from cases.workflow import Action, Status
from gridcity.errors import ValidationFailed


def _require(text: str, action: Action) -> None:
    if not text or not text.strip():
        raise ValidationFailed(
            _("“%(action)s”需要填写理由。") % {"action": Action(action).label},
            code="reason_required",
        )


def _check_new_deadline(case: Case, until: datetime, now: datetime) -> None:
    if timezone.is_naive(until):
        raise ValidationFailed(_("新的期限必须带时区。"), code="naive_datetime")
    if until <= now:
        raise ValidationFailed(_("新的期限必须晚于现在。"), code="deadline_in_past")
    if case.handling_deadline is not None and until <= case.handling_deadline:
        raise ValidationFailed(
            _("新的期限必须晚于现有处置期限 %(d)s。")
            % {"d": timezone.localtime(case.handling_deadline).strftime("%Y-%m-%d %H:%M")},
            code="deadline_not_later",
        )


def case_request_extension(
    *,
    case_id: int,
    actor: AbstractBaseUser,
    until: datetime,
    reason: str,
    expected_version: int | None = None,
) -> Case:
    """Ask to move the handling deadline to ``until``."""
    _require(reason, Action.REQUEST_EXTENSION)

    def change(act: Act) -> None:
        _check_new_deadline(act.case, until, act.now)
        act.case.pending_data = {"until": until.isoformat(), "reason": reason}
        act.data["until"] = until.isoformat()

    return perform(
        case_id=case_id,
        action=Action.REQUEST_EXTENSION,
        actor=actor,
        note=reason,
        expected_version=expected_version,
        change=change,
    )


def case_approve_extension(
    *,
    case_id: int,
    actor: AbstractBaseUser,
    until: datetime | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """Move the deadline to the requested date, or to ``until`` when the dispatcher sets one.
    The case becomes a committed case (承诺件) unless it is a coordination case."""

    def change(act: Act) -> None:
        case = act.case
        requested = datetime.fromisoformat(case.pending_data["until"])
        new_deadline = until or requested
        _check_new_deadline(case, new_deadline, act.now)
        act.data.update(
            {
                "from": case.handling_deadline.isoformat() if case.handling_deadline else None,
                "until": new_deadline.isoformat(),
                "requested": requested.isoformat(),
            }
        )
        case.handling_deadline = new_deadline
        case.step_deadline = new_deadline
        case.extension_count += 1
        if case.business_type != BusinessType.COORDINATED:
            case.business_type = BusinessType.COMMITTED
        timers_refresh(case, now=act.now, calendar=act.calendar)

    return perform(
        case_id=case_id,
        action=Action.APPROVE_EXTENSION,
        actor=actor,
        note=note,
        expected_version=expected_version,
        change=change,
    )


def case_deny_extension(
    *, case_id: int, actor: AbstractBaseUser, note: str, expected_version: int | None = None
) -> Case:
    _require(note, Action.DENY_EXTENSION)
    return perform(
        case_id=case_id,
        action=Action.DENY_EXTENSION,
        actor=actor,
        note=note,
        expected_version=expected_version,
    )


def case_request_suspension(
    *, case_id: int, actor: AbstractBaseUser, reason: str, expected_version: int | None = None
) -> Case:
    """Ask to stop the clock: the case cannot be handled for now (e.g. needs a budget)."""
    _require(reason, Action.REQUEST_SUSPENSION)

    def change(act: Act) -> None:
        act.case.pending_data = {"reason": reason}

    return perform(
        case_id=case_id,
        action=Action.REQUEST_SUSPENSION,
        actor=actor,
        note=reason,
        expected_version=expected_version,
        change=change,
    )


def case_approve_suspension(
    *, case_id: int, actor: AbstractBaseUser, note: str = "", expected_version: int | None = None
) -> Case:
    """Stop the handling clock from now until the case is resumed."""

    def change(act: Act) -> None:
        act.case.suspended_at = act.now
        act.case.next_timer_change_at = None

    return perform(
        case_id=case_id,
        action=Action.APPROVE_SUSPENSION,
        actor=actor,
        note=note,
        expected_version=expected_version,
        change=change,
    )


def case_deny_suspension(
    *, case_id: int, actor: AbstractBaseUser, note: str, expected_version: int | None = None
) -> Case:
    _require(note, Action.DENY_SUSPENSION)
    return perform(
        case_id=case_id,
        action=Action.DENY_SUSPENSION,
        actor=actor,
        note=note,
        expected_version=expected_version,
    )


def case_resume(
    *,
    case_id: int,
    actor: AbstractBaseUser | None,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """Restart the clock. The deadline moves by exactly the working (or natural) time spent
    suspended, so the time left to the department is what it was at suspension."""

    def change(act: Act) -> None:
        case = act.case
        paused = act.calendar.elapsed(case.suspended_at, act.now, natural=case.step_natural)
        case.step_suspended += paused
        case.suspended_total += paused
        case.step_deadline = act.calendar.add(case.step_deadline, paused, natural=case.step_natural)
        case.handling_deadline = case.step_deadline
        act.data.update(
            {
                "suspended_at": case.suspended_at.isoformat(),
                "suspended_seconds": int(paused.total_seconds()),
                "deadline": case.step_deadline.isoformat(),
            }
        )
        case.suspended_at = None
        # The status is still "suspended" here; refresh after perform sets "handling".
        case.status = Status.HANDLING
        timers_refresh(case, now=act.now, calendar=act.calendar)

    return perform(
        case_id=case_id,
        action=Action.RESUME,
        actor=actor,
        note=note,
        expected_version=expected_version,
        change=change,
    )

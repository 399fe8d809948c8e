"""Handling and closing: the department reports back with photos, the acceptor sends the
re-inspection task, the inspector passes or fails it (rework), the shift leader closes; and the
supervisor's urging of any open case."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from cases.models import Case, CasePhoto, Outcome
from cases.services._core import Act, perform
from cases.workflow import Action
from gridcity.errors import ValidationFailed


def case_report_handled(
    *,
    case_id: int,
    actor: AbstractBaseUser,
    note: str = "",
    photos: Sequence[bytes],
    expected_version: int | None = None,
) -> Case:
    """The lead department reports the problem solved, with "after" photos."""

    def change(act: Act) -> None:
        act.case.handled_at = act.now
        deadline = act.case.handling_deadline
        act.data["on_time"] = deadline is None or act.now <= deadline

    return perform(
        case_id=case_id,
        action=Action.REPORT_HANDLED,
        actor=actor,
        note=note,
        photos=photos,
        photos_required=True,
        photo_stage=CasePhoto.Stage.HANDLING_AFTER,
        expected_version=expected_version,
        change=change,
    )


def case_send_for_reinspection(
    *,
    case_id: int,
    actor: AbstractBaseUser | None,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    return perform(
        case_id=case_id,
        action=Action.SEND_FOR_REINSPECTION,
        actor=actor,
        note=note,
        expected_version=expected_version,
    )


def case_reinspect_pass(
    *,
    case_id: int,
    actor: AbstractBaseUser,
    note: str = "",
    photos: Sequence[bytes] = (),
    expected_version: int | None = None,
) -> Case:
    return perform(
        case_id=case_id,
        action=Action.REINSPECT_PASS,
        actor=actor,
        note=note,
        photos=photos,
        photo_stage=CasePhoto.Stage.REINSPECTION,
        expected_version=expected_version,
    )


def case_reinspect_fail(
    *,
    case_id: int,
    actor: AbstractBaseUser,
    note: str,
    photos: Sequence[bytes] = (),
    expected_version: int | None = None,
) -> Case:
    """The problem is still there: back to the same department as rework, with a new handling
    limit from now."""
    if not note or not note.strip():
        raise ValidationFailed(_("核查未通过需要说明原因。"), code="reason_required")

    def change(act: Act) -> None:
        act.case.rework_count += 1
        act.case.handled_at = None
        act.restart_step = True
        act.data["department"] = act.case.lead_department_id

    return perform(
        case_id=case_id,
        action=Action.REINSPECT_FAIL,
        actor=actor,
        note=note,
        photos=photos,
        photo_stage=CasePhoto.Stage.REINSPECTION,
        expected_version=expected_version,
        change=change,
    )


def case_close(
    *,
    case_id: int,
    actor: AbstractBaseUser,
    outcome: Outcome | str | None = None,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """Close the case. The outcome is on time or overdue by the handling deadline, unless the
    shift leader records it as erroneous or special (with a note)."""
    if outcome and Outcome(outcome) in (Outcome.ERRONEOUS, Outcome.SPECIAL) and not note.strip():
        raise ValidationFailed(_("差错或特殊结案需要填写说明。"), code="reason_required")
    if outcome and Outcome(outcome) == Outcome.NONE:
        raise ValidationFailed(_("结案类型无效。"), code="invalid_outcome")

    def change(act: Act) -> None:
        case = act.case
        if outcome:
            case.outcome = Outcome(outcome)
        else:
            late = (
                case.handling_deadline is not None
                and case.handled_at is not None
                and case.handled_at > case.handling_deadline
            )
            case.outcome = Outcome.OVERDUE if late else Outcome.ON_TIME
        case.closed_at = act.now
        act.data["outcome"] = case.outcome

    return perform(
        case_id=case_id,
        action=Action.CLOSE,
        actor=actor,
        note=note,
        expected_version=expected_version,
        change=change,
    )


def case_urge(
    *, case_id: int, actor: AbstractBaseUser, note: str, expected_version: int | None = None
) -> Case:
    """督办: flag the case and tell whoever holds it; the status does not change."""
    if not note or not note.strip():
        raise ValidationFailed(_("督办需要填写督办意见。"), code="reason_required")

    def change(act: Act) -> None:
        act.case.urged = True
        act.case.urge_count += 1

    return perform(
        case_id=case_id,
        action=Action.URGE,
        actor=actor,
        note=note,
        expected_version=expected_version,
        change=change,
    )

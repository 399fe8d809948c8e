"""Dispatching to a lead department (with assisting ones) and the department's send-back request
with the dispatcher's decision; an approved send-back returns the case for re-dispatch and
counts against dispatch accuracy."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext as _

from cases.models import BusinessType, Case
from cases.services._core import Act, perform
from cases.workflow import Action
from departments.models import Department
from gridcity.errors import ValidationFailed


def _departments_check(lead: Department, assisting: Iterable[Department]) -> list[Department]:
    chosen = list({dept.pk: dept for dept in assisting}.values())
    if not lead.is_active:
        raise ValidationFailed(_("主办部门 %(d)s 已停用。") % {"d": lead}, code="inactive")
    if any(dept.pk == lead.pk for dept in chosen):
        raise ValidationFailed(_("主办部门不能同时是协办部门。"), code="lead_assisting")
    inactive = [dept.name for dept in chosen if not dept.is_active]
    if inactive:
        raise ValidationFailed(
            _("协办部门已停用：%(names)s") % {"names": "、".join(inactive)}, code="inactive"
        )
    return chosen


def case_dispatch(
    *,
    case_id: int,
    actor: AbstractBaseUser | None,
    lead: Department,
    assisting: Iterable[Department] = (),
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """Send the case to ``lead`` (and ``assisting``); the handling clock starts now. A case that
    needs several departments is a coordination case (协调件)."""
    chosen = _departments_check(lead, assisting)

    def change(act: Act) -> None:
        case = act.case
        act.data.update(
            lead=lead.pk,
            assisting=[dept.pk for dept in chosen],
            redispatch=case.sendback_count > 0,
            as_suggested=case.suggested_department_id == lead.pk,
        )
        case.lead_department = lead
        case.assisting_departments.set(chosen)
        case.business_type = BusinessType.COORDINATED if chosen else BusinessType.IMMEDIATE
        case.handled_at = None

    return perform(
        case_id=case_id,
        action=Action.DISPATCH,
        actor=actor,
        note=note,
        expected_version=expected_version,
        change=change,
    )


def case_request_sendback(
    *, case_id: int, actor: AbstractBaseUser, reason: str, expected_version: int | None = None
) -> Case:
    """The department says the case is not theirs; the dispatcher decides."""
    _require(reason, Action.REQUEST_SENDBACK)

    def change(act: Act) -> None:
        act.case.pending_data = {"reason": reason, "requested_at": act.now.isoformat()}

    return perform(
        case_id=case_id,
        action=Action.REQUEST_SENDBACK,
        actor=actor,
        note=reason,
        expected_version=expected_version,
        change=change,
    )


def case_approve_sendback(
    *, case_id: int, actor: AbstractBaseUser, note: str = "", expected_version: int | None = None
) -> Case:
    def change(act: Act) -> None:
        case = act.case
        act.data["from_department"] = case.lead_department_id
        case.sendback_count += 1
        case.lead_department = None
        case.assisting_departments.clear()
        case.business_type = BusinessType.NONE
        case.handling_started_at = None
        case.handling_deadline = None

    return perform(
        case_id=case_id,
        action=Action.APPROVE_SENDBACK,
        actor=actor,
        note=note,
        expected_version=expected_version,
        change=change,
    )


def case_deny_sendback(
    *, case_id: int, actor: AbstractBaseUser, note: str, expected_version: int | None = None
) -> Case:
    _require(note, Action.DENY_SENDBACK)
    return perform(
        case_id=case_id,
        action=Action.DENY_SENDBACK,
        actor=actor,
        note=note,
        expected_version=expected_version,
    )


def _require(text: str, action: Action) -> None:
    if not text or not text.strip():
        raise ValidationFailed(
            _("“%(action)s”需要填写理由。") % {"action": Action(action).label},
            code="reason_required",
        )

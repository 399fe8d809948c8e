"""What the platform does by itself after a report (suggest the department, flag probable
duplicates, apply automation rules), who is told about each event, and photo thumbnails."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.measure import D
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import clock
from cases.models import AutomationRule, Case, CaseEvent, CasePhoto
from cases.photos import thumbnail_bytes
from cases.services._core import SYSTEM_ROLE, case_lock, event_write, queue_event_notices
from cases.workflow import Action, Status, Step, SystemEvent
from departments.models import Department
from departments.roles import Role
from departments.selectors import inspectors_for_grid, users_with_role
from departments.services import notify, responsibility_evaluate
from gridcity.errors import DomainError
from grids.spatial import degree_box

logger = logging.getLogger(__name__)


def duplicate_radius_m() -> float:
    return float(getattr(settings, "GRIDCITY_DUPLICATE_RADIUS_M", 50))


def duplicate_window() -> timedelta:
    return timedelta(hours=float(getattr(settings, "GRIDCITY_DUPLICATE_WINDOW_HOURS", 72)))


def case_duplicate_candidates(*, case: Case) -> QuerySet[Case]:
    """Open cases that probably describe the same problem: the same category near in place and
    time, or the same component. Older cases first, so a chain points at its first report.

    The distance in metres is computed on geography, which no index on the lon/lat column
    serves; the box around the case (``&&``) is what lets PostgreSQL read the few cases near it
    through the spatial index instead of every open case of the window (245 ms a report at
    city scale)."""
    radius = duplicate_radius_m()
    near = Q(
        category_id=case.category_id,
        reported_at__gte=case.reported_at - duplicate_window(),
        location__bboverlaps=degree_box(point=case.location, meters=radius),
        location__distance_lte=(case.location, D(m=radius)),
    )
    same_component = Q(component_id=case.component_id) if case.component_id else Q(pk__in=[])
    return (
        Case.objects.open()
        .filter(near | same_component)
        .filter(reported_at__lte=case.reported_at)
        .exclude(pk=case.pk)
        .order_by("reported_at", "pk")
    )


def case_after_report(*, case_id: int) -> Case:
    """Suggest the responsible department and flag a probable duplicate (once each), then apply
    the first matching automation rule. Safe to run again: done steps are skipped."""
    with transaction.atomic():
        case = case_lock(case_id)
        now = clock.now()
        if case.suggested_department_id is None:
            routing = responsibility_evaluate(
                category=case.category, grid=case.grid, component=case.component
            )
            case.suggested_department = routing.lead
            case.suggested_assisting_ids = [dept.pk for dept in routing.assisting]
            case.suggestion_reason = routing.reason[:300]
            case.save(
                update_fields=[
                    "suggested_department",
                    "suggested_assisting_ids",
                    "suggestion_reason",
                ]
            )
            _system_event(
                case,
                SystemEvent.ROUTE_SUGGESTED,
                now,
                note=routing.reason,
                data={
                    "lead": routing.lead.pk,
                    "assisting": case.suggested_assisting_ids,
                    "rule": routing.rule.pk if routing.rule else None,
                },
            )
        if case.duplicate_of_id is None and not case.duplicate_reason:
            original = case_duplicate_candidates(case=case).first()
            if original is not None:
                same_component = (
                    bool(case.component_id) and original.component_id == case.component_id
                )
                case.duplicate_of = original
                case.duplicate_reason = (
                    _("与案件 %(n)s 为同一部件") if same_component else _("与案件 %(n)s 同类且相近")
                ) % {"n": original.number}
                case.save(update_fields=["duplicate_of", "duplicate_reason"])
                _system_event(
                    case,
                    SystemEvent.DUPLICATE_FLAGGED,
                    now,
                    note=case.duplicate_reason,
                    data={"duplicate_of": original.pk, "number": original.number},
                )
    _apply_rule(case)
    case.refresh_from_db()
    return case


def automation_rule_for(*, case: Case) -> AutomationRule | None:
    """The most specific active rule: source and category, then category, then source, then any."""
    rules = AutomationRule.objects.filter(is_active=True).filter(
        Q(source="") | Q(source=case.source),
        Q(category__isnull=True) | Q(category_id=case.category_id),
    )
    return min(
        rules,
        key=lambda rule: (rule.category_id is None, rule.source == "", rule.pk),
        default=None,
    )


def _apply_rule(case: Case) -> None:
    from cases.services.dispatch import case_dispatch
    from cases.services.intake import case_accept, case_file

    rule = automation_rule_for(case=case)
    if rule is None or case.status != Status.REPORTED or case.duplicate_of_id:
        return
    note = _("自动处理规则 #%(id)d") % {"id": rule.pk}
    try:
        if rule.auto_accept:
            case_accept(case_id=case.pk, actor=None, note=note)
        if rule.auto_file:
            case_file(case_id=case.pk, actor=None, note=note)
        if rule.auto_dispatch and case.suggested_department_id:
            assisting = Department.objects.filter(
                pk__in=case.suggested_assisting_ids, is_active=True
            )
            case_dispatch(
                case_id=case.pk,
                actor=None,
                lead=case.suggested_department,
                assisting=list(assisting),
                note=note,
            )
    except DomainError:
        # Someone acted on the case meanwhile: people win over automation.
        logger.info("automation rule %s stopped on case %s", rule.pk, case.pk, exc_info=True)


def _system_event(case: Case, kind: SystemEvent, now: object, *, note: str, data: dict) -> None:
    event = event_write(
        CaseEvent(
            case=case,
            action=kind,
            actor=None,
            actor_role=SYSTEM_ROLE,
            from_status=case.status,
            to_status=case.status,
            note=note,
            data=data,
            created_at=now,
        )
    )
    queue_event_notices(event)


# ---------------------------------------------------------------- notices
STEP_ROLE = {
    Step.VERIFY: Role.INSPECTOR,
    Step.ACCEPT: Role.ACCEPTOR,
    Step.FILE: Role.SHIFT_LEADER,
    Step.DISPATCH: Role.DISPATCHER,
    Step.HANDLE: Role.HANDLER,
    Step.REINSPECT: Role.INSPECTOR,
    Step.CLOSE: Role.SHIFT_LEADER,
}


def _department_people(case: Case, *, with_leads: bool = False) -> list[AbstractBaseUser]:
    if case.lead_department_id is None:
        return []
    people = list(users_with_role(role=Role.HANDLER, department=case.lead_department))
    if with_leads:
        people += list(users_with_role(role=Role.DEPARTMENT_LEAD, department=case.lead_department))
    return people


def _step_people(case: Case) -> list[AbstractBaseUser]:
    role = STEP_ROLE.get(case.step)
    if role is None:
        return []
    if role == Role.HANDLER:
        return _department_people(case)
    if role == Role.INSPECTOR:
        return list(inspectors_for_grid(grid=case.grid, on=timezone.localdate(clock.now())))
    return list(users_with_role(role=role))


def recipients_for(event: CaseEvent) -> list[AbstractBaseUser]:
    """Who must hear of this event: the people who hold the case's next step."""
    case = event.case
    action = event.action
    if action in (SystemEvent.TIMER_CHANGED, SystemEvent.ESCALATED):
        people = _step_people(case) + list(users_with_role(role=Role.DISPATCHER))
        people += list(users_with_role(role=Role.SUPERVISOR))
        return people
    if action == Action.URGE:
        return _department_people(case, with_leads=True) or _step_people(case)
    if action in (Action.REJECT, Action.VERIFY_FAIL, Action.VOID, Action.CLOSE):
        return [case.reporter] if case.reporter_id else []
    if action in (
        Action.REQUEST_SENDBACK,
        Action.REQUEST_EXTENSION,
        Action.REQUEST_SUSPENSION,
    ):
        return list(users_with_role(role=Role.DISPATCHER))
    if action in (
        Action.DENY_SENDBACK,
        Action.APPROVE_EXTENSION,
        Action.DENY_EXTENSION,
        Action.DENY_SUSPENSION,
        Action.APPROVE_SUSPENSION,
    ):
        return _department_people(case, with_leads=True)
    if action in (SystemEvent.ROUTE_SUGGESTED, SystemEvent.DUPLICATE_FLAGGED):
        return []
    return _step_people(case)


def case_event_notify(*, event_id: int) -> int:
    """Store the notices of one event (each person once per event)."""
    event = CaseEvent.objects.select_related("case", "case__grid", "case__category").get(
        pk=event_id
    )
    case = event.case
    people = [person for person in recipients_for(event) if person.pk != event.actor_id]
    label = dict(Action.choices + SystemEvent.choices).get(event.action, event.action)
    title = _("案件 %(number)s：%(action)s") % {"number": case.number, "action": label}
    body = f"{case.category} · {case.address or case.grid.code}\n{event.note}".strip()
    return notify(
        recipients=people,
        kind=f"case.{event.action}",
        title=title,
        body=body,
        link=f"/api/v1/cases/{case.pk}/",
        dedupe_key=f"case-event:{event.pk}",
    )


def case_events_notify(*, event_ids: Sequence[int]) -> int:
    """Store the notices of many events (the timer sweep queues one task per batch), each
    exactly as case_event_notify does; a task run again, whole or after dying half-way, adds
    nothing for the events already notified."""
    return sum(case_event_notify(event_id=event_id) for event_id in event_ids)


# ---------------------------------------------------------------- photos
def photo_thumbnail_make(*, photo_id: int) -> CasePhoto:
    """Make the preview of a stored photo (once)."""
    with transaction.atomic():
        # Locked, so a task delivered twice at once makes one thumbnail, not two files.
        photo = CasePhoto.objects.select_for_update().get(pk=photo_id)
        if photo.thumbnail:
            return photo
        with photo.image.open("rb") as source:
            data = source.read()
        thumb = ContentFile(thumbnail_bytes(data))
        photo.thumbnail.save(f"thumb-{photo.pk}.jpg", thumb, save=False)
        photo.save(update_fields=["thumbnail"])
    return photo

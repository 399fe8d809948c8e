"""What every case action does the same way: lock the row, check the table and the actor's
scope, apply the change, save only changed fields, write the event, keep timers and photos in
step, and queue notices after commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import clock, workflow
from cases.facts import fact_record, facts_record_bulk
from cases.models import Case, CaseEvent, CasePhoto
from cases.photos import ProcessedPhoto, distance_m, far_metres, photo_process
from cases.services.timers import timers_after_status_change
from cases.workflow import Action, Pending, Scope, Transition
from departments.calendar import WorkCalendar, work_calendar
from departments.roles import Role
from departments.selectors import Scope as ScopeOfUser
from departments.selectors import user_scope
from gridcity.errors import Conflict, NotFound, NotPermitted, ValidationFailed
from gridcity.outbox import task_enqueue

SYSTEM_ROLE = "system"


@dataclass
class Act:
    """The context an action's own change sees."""

    case: Case
    actor: AbstractBaseUser | None
    role: str
    now: datetime
    calendar: WorkCalendar
    data: dict[str, Any] = field(default_factory=dict)
    restart_step: bool = False


def photos_process(photos: Sequence[bytes]) -> list[ProcessedPhoto]:
    """Decode every upload before any row is locked, so a bad photo refuses the whole action."""
    limit = 9
    if len(photos) > limit:
        raise ValidationFailed(
            _("每个环节最多上传 %(n)d 张照片。") % {"n": limit}, code="too_many_photos"
        )
    return [photo_process(data=data, index=i) for i, data in enumerate(photos, start=1)]


def authorise(
    *, actor: AbstractBaseUser | None, action: Action, now: datetime
) -> tuple[str, ScopeOfUser | None]:
    """The role the actor acts under (and their scope), or NotPermitted naming the roles that
    may. ``actor=None`` is the platform's own automation, which only Celery tasks use."""
    if actor is None:
        return SYSTEM_ROLE, None
    scope = user_scope(user=actor, on=timezone.localdate(now))
    role = workflow.acting_role(action, scope.roles)
    if role is None:
        allowed = (
            workflow.REPORT_ROLES
            if action == Action.REPORT
            else workflow.transition_for(action).roles
        )
        raise NotPermitted(
            _("“%(action)s”需要以下角色之一：%(roles)s")
            % {
                "action": Action(action).label,
                "roles": "、".join(str(Role(r).label) for r in sorted(allowed)),
            },
            code="role_required",
        )
    return role, scope


def scope_check(*, scope: ScopeOfUser | None, case: Case, row: Transition) -> None:
    """Beyond the role: a department acts on its own cases, an inspector in the grids patrolled,
    a supervisor in the areas supervised."""
    if scope is None:
        return
    if row.scope == Scope.LEAD_DEPARTMENT and case.lead_department_id not in scope.department_ids:
        raise NotPermitted(_("只有主办部门的人员可以办理本案件。"), code="not_lead_department")
    if row.scope == Scope.PATROL_GRID and case.grid_id not in scope.patrol_grid_ids:
        raise NotPermitted(_("本案件不在您巡查的网格内。"), code="not_patrol_grid")
    if row.scope == Scope.AREA and not scope.covers_area_code(case.grid.code):
        raise NotPermitted(_("本案件不在您督办的区域内。"), code="not_supervised_area")


def case_lock(case_id: int) -> Case:
    try:
        return (
            Case.objects.select_for_update(of=("self",))
            .select_related("category", "grid")
            .get(pk=case_id)
        )
    except Case.DoesNotExist as exc:
        raise NotFound(_("案件 %(id)s 不存在。") % {"id": case_id}, code="case_not_found") from exc


def _snapshot(case: Case) -> dict[str, Any]:
    return {f.attname: getattr(case, f.attname) for f in case._meta.concrete_fields}


def event_write(event: CaseEvent, *, first: bool = False) -> CaseEvent:
    """Append an event; the case row is locked by the caller, so the next sequence is safe.
    The case's evaluation fact follows in the same transaction (cases.facts). ``first`` says
    the case was inserted in this transaction, so it has no events yet (nor a fact): the report
    itself, which then needs neither look-up."""
    if first:
        event.sequence = 1
    else:
        last = CaseEvent.objects.filter(case_id=event.case_id).aggregate(m=Max("sequence"))["m"]
        event.sequence = (last or 0) + 1
    event.save(force_insert=True)
    fact_record(event)
    return event


def events_write_bulk(events: Sequence[CaseEvent]) -> list[CaseEvent]:
    """Append many events at once, in a fixed number of statements whatever their number: the
    sequences from one read of each case's last one, one INSERT, then the cases' facts
    (cases.facts.facts_record_bulk). The caller holds every one of those case rows locked, so
    no other writer can take the same sequences; the events of one case go in list order."""
    if not events:
        return []
    case_ids = {event.case_id for event in events}
    last: dict[int, int] = dict(
        CaseEvent.objects.filter(case_id__in=case_ids)
        .order_by()
        .values("case_id")
        .annotate(last=Max("sequence"))
        .values_list("case_id", "last")
    )
    for event in events:
        last[event.case_id] = last.get(event.case_id, 0) + 1
        event.sequence = last[event.case_id]
    written = CaseEvent.objects.bulk_create(events)
    facts_record_bulk(written)
    return written


def queue_event_notices(event: CaseEvent) -> None:
    from cases.tasks import notify_case_event

    task_enqueue(notify_case_event, event_id=event.pk)


# Events per notice task: each event costs a recipients query and a few notice writes (up to
# ~0.5 s on a loaded 2-core machine at city scale), so a whole sweep batch of 500 in one task
# could outrun the task time limit and lose the rest of the batch's notices.
NOTICE_EVENTS_PER_TASK = 20


def queue_events_notices(events: Sequence[CaseEvent]) -> None:
    """The notices of many events in a few tasks of NOTICE_EVENTS_PER_TASK events each: each
    event is notified as queue_event_notices would have it (case_event_notify, whose per-event
    dedupe key gives each person one notice even when a task runs twice), without one outbox
    row and one broker message per event."""
    from cases.tasks import notify_case_events

    ids = [event.pk for event in events]
    for start in range(0, len(ids), NOTICE_EVENTS_PER_TASK):
        task_enqueue(notify_case_events, event_ids=ids[start : start + NOTICE_EVENTS_PER_TASK])


def photos_attach(
    *,
    case: Case,
    event: CaseEvent | None,
    stage: str,
    photos: Sequence[ProcessedPhoto],
    actor: AbstractBaseUser | None,
    now: datetime,
) -> list[CasePhoto]:
    from cases.tasks import make_case_photo_thumbnail

    stored = []
    for processed in photos:
        distance = distance_m(processed.gps, case.location) if processed.gps else None
        photo = CasePhoto(
            case=case,
            event=event,
            stage=stage,
            content_type=processed.content_type,
            width=processed.width,
            height=processed.height,
            sha256=processed.sha256,
            gps_location=processed.gps,
            distance_m=distance,
            far_from_case=distance is not None and distance > far_metres(),
            uploaded_by=actor,
            created_at=now,
        )
        photo.image.save(
            f"{case.number}-{stage}-{processed.sha256[:12]}.{processed.extension}",
            ContentFile(processed.content),
            save=False,
        )
        photo.save(force_insert=True)
        task_enqueue(make_case_photo_thumbnail, photo_id=photo.pk)
        stored.append(photo)
    return stored


def perform(
    *,
    case_id: int,
    action: Action,
    actor: AbstractBaseUser | None,
    note: str = "",
    expected_version: int | None = None,
    photos: Sequence[bytes] = (),
    photo_stage: str = "",
    photos_required: bool = False,
    change: Callable[[Act], None] | None = None,
) -> Case:
    """Take one workflow action on a case, atomically; see the module docstring."""
    processed = photos_process(photos)
    if photos_required and not processed:
        raise ValidationFailed(
            _("“%(action)s”需要至少一张照片。") % {"action": Action(action).label},
            code="photo_required",
        )
    row: Transition = workflow.transition_for(action)
    with transaction.atomic():
        case = case_lock(case_id)
        now = clock.now()
        if expected_version is not None and case.version != expected_version:
            raise Conflict(
                _("案件已被他人更新（版本 %(have)d，您看到的是 %(seen)d），请刷新后重试。")
                % {"have": case.version, "seen": expected_version},
                code="stale_version",
                version=case.version,
            )
        role, scope = authorise(actor=actor, action=action, now=now)
        old_status = case.status
        new_status = workflow.target(old_status, action, pending=case.pending)
        scope_check(scope=scope, case=case, row=row)
        before = _snapshot(case)
        act = Act(case=case, actor=actor, role=role, now=now, calendar=work_calendar())
        if change is not None:
            change(act)  # sees the pending request before a decision clears it
        if row.sets_pending:
            case.pending = row.sets_pending
        elif row.requires_pending:
            case.pending = Pending.NONE
            case.pending_data = {}
        case.status = new_status
        step_was, started_was, deadline_was = case.step, case.step_started_at, case.step_deadline
        timers_after_status_change(
            case,
            old_status=old_status,
            new_status=new_status,
            now=now,
            calendar=act.calendar,
            restart=act.restart_step,
        )
        if deadline_was is not None and case.step_started_at != started_was:
            # The step just ended: keep whether it ended in time (the on-time verification and
            # re-inspection rates read it from the log).
            act.data["step_left"] = {
                "step": step_was,
                "deadline": deadline_was.isoformat(),
                "on_time": now <= deadline_was,
            }
        case.version += 1
        case.updated_at = now
        after = _snapshot(case)
        case.save(update_fields=[name for name, value in after.items() if before[name] != value])
        event = event_write(
            CaseEvent(
                case=case,
                action=action,
                actor=actor,
                actor_role=role,
                from_status=old_status,
                to_status=new_status,
                note=note,
                data=act.data,
                created_at=now,
            )
        )
        if processed:
            photos_attach(
                case=case,
                event=event,
                stage=photo_stage,
                photos=processed,
                actor=actor,
                now=now,
            )
        queue_event_notices(event)
    return case

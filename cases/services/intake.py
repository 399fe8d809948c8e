"""Collecting and registering: report, verification on site, acceptance or rejection, the
inspector's own handling and its approval, filing and voiding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import clock, workflow
from cases.models import Case, CaseEvent, CasePhoto, Outcome, Urgency
from cases.services._core import (
    Act,
    event_write,
    perform,
    photos_attach,
    photos_process,
    queue_event_notices,
)
from cases.services.timers import step_restart
from cases.workflow import Action, Source, Status
from departments.calendar import work_calendar
from departments.roles import Role
from departments.selectors import Scope, user_scope
from gridcity.errors import NotPermitted, ValidationFailed
from gridcity.outbox import recorded_together, sent_together, task_enqueue
from grids.models import Category, Component
from grids.selectors import grid_for_point


def case_number_next(*, year: int) -> str:
    """The next number of the year: year + serial (at least 6 digits). Must run inside the
    report's transaction: the counter row stays locked until it commits, and a rollback returns
    the serial, so numbers have no gaps."""
    if not connection.in_atomic_block:
        raise RuntimeError("case_number_next must run inside the report's transaction")
    with connection.cursor() as cursor:
        # One statement: the year's first report creates the row, every later one takes the
        # row's lock and the next serial.
        cursor.execute(
            "INSERT INTO cases_casenumbercounter AS counter (year, last_serial) VALUES (%s, 1) "
            "ON CONFLICT (year) DO UPDATE SET last_serial = counter.last_serial + 1 "
            "RETURNING last_serial",
            [year],
        )
        (serial,) = cursor.fetchone()
    return f"{year:04d}{serial:06d}"


def _photo_required_sources() -> set[str]:
    return set(getattr(settings, "GRIDCITY_REPORT_PHOTO_REQUIRED_SOURCES", ["inspector"]))


@dataclass(frozen=True)
class Reported:
    """What registering a case wrote: the case, its first event and that event's photos."""

    case: Case
    event: CaseEvent
    photos: list[CasePhoto]


def case_report(**kwargs: Any) -> Case:
    """Register a new case (see case_report_written): the case."""
    return case_report_written(**kwargs).case


def case_report_written(
    *,
    actor: AbstractBaseUser,
    source: Source | str,
    category: Category,
    description: str,
    location: Point,
    address: str = "",
    component: Component | None = None,
    urgency: Urgency | str = Urgency.NORMAL,
    reporter_name: str = "",
    reporter_phone: str = "",
    photos: Sequence[bytes] = (),
    scope: Scope | None = None,
) -> Reported:
    """Register a new case. Inspectors report what they found themselves; acceptors register
    reports from the public, hotlines, video and other systems (verified on site first where
    the table says so). Suggestion, duplicate check and automation follow on a worker.
    ``scope`` is the actor's scope when the caller already computed it for this request. The
    answer holds the rows written, so that the request can be answered without reading them
    back (cases.selectors.case_as_written)."""
    source = Source(source)
    now = clock.now()
    if scope is None:
        scope = user_scope(user=actor, on=timezone.localdate(now))
    role = workflow.acting_role(Action.REPORT, scope.roles)
    if role is None:
        raise NotPermitted(_("只有监督员和受理员可以上报案件。"), code="role_required")
    if role == Role.INSPECTOR and source != Source.INSPECTOR and not scope.has(Role.ACCEPTOR):
        raise NotPermitted(_("监督员只能上报本人发现的问题。"), code="inspector_source")
    description = description.strip()
    if not description:
        raise ValidationFailed(_("请填写问题描述。"), code="description_required")
    if len(description) > 4000:
        raise ValidationFailed(_("问题描述不能超过 4000 字。"), code="description_too_long")
    if category.retired_on is not None and category.retired_on <= now.date():
        raise ValidationFailed(_("类别 %(c)s 已停用。") % {"c": category}, code="category_retired")
    if (
        component is not None
        and category.kind == Category.Kind.COMPONENT
        and component.category_id != category.pk
    ):
        raise ValidationFailed(
            _("部件 %(id)s 不属于类别 %(c)s。") % {"id": component.identifier, "c": category},
            code="component_category",
        )
    processed = photos_process(photos)
    if source in _photo_required_sources() and not processed:
        raise ValidationFailed(_("监督员上报需要至少一张现场照片。"), code="photo_required")
    grid = grid_for_point(point=location, on=timezone.localdate(now))
    status = workflow.report_target(source)
    with sent_together(), transaction.atomic(), recorded_together():
        case = Case(
            number=case_number_next(year=timezone.localdate(now).year),
            source=source,
            category=category,
            description=description,
            location=location,
            address=address.strip(),
            grid=grid,
            component=component,
            reporter=actor,
            reporter_name=reporter_name.strip(),
            reporter_phone=reporter_phone.strip(),
            urgency=Urgency(urgency),
            status=status,
            reported_at=now,
            updated_at=now,
        )
        step = workflow.STEP_OF_STATUS[status]
        if step is not None:
            step_restart(case, step=step, now=now, calendar=work_calendar())
        try:
            # The CHECK constraints are left to the INSERT below: validating them here would
            # cost a savepoint and a query each on every report.
            # The related rows were read for this report; checking that they exist would
            # cost a query each.
            case.full_clean(
                exclude=["number", "grid", "location", "category", "component", "reporter"],
                validate_unique=False,
                validate_constraints=False,
            )
        except DjangoValidationError as exc:
            raise ValidationFailed(
                _("上报内容有误：%(errors)s")
                % {"errors": "；".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())},
                code="invalid_report",
                fields=exc.message_dict,
            ) from exc
        case.save(force_insert=True)
        event = event_write(
            CaseEvent(
                case=case,
                action=Action.REPORT,
                actor=actor,
                actor_role=role,
                from_status="",
                to_status=status,
                note=description[:500],
                data={"source": source, "grid": grid.code},
                created_at=now,
            ),
            first=True,
        )
        stored = photos_attach(
            case=case,
            event=event,
            stage=CasePhoto.Stage.REPORT,
            photos=processed,
            actor=actor,
            now=now,
        )
        queue_event_notices(event)
        from cases.tasks import process_reported_case

        task_enqueue(process_reported_case, case_id=case.pk)
    return Reported(case=case, event=event, photos=stored)


def case_send_for_verification(
    *,
    case_id: int,
    actor: AbstractBaseUser | None,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    return perform(
        case_id=case_id,
        action=Action.SEND_FOR_VERIFICATION,
        actor=actor,
        note=note,
        expected_version=expected_version,
    )


def case_verify_pass(
    *,
    case_id: int,
    actor: AbstractBaseUser,
    note: str = "",
    photos: Sequence[bytes] = (),
    expected_version: int | None = None,
) -> Case:
    return perform(
        case_id=case_id,
        action=Action.VERIFY_PASS,
        actor=actor,
        note=note,
        photos=photos,
        photo_stage=CasePhoto.Stage.VERIFICATION,
        expected_version=expected_version,
    )


def case_verify_fail(
    *,
    case_id: int,
    actor: AbstractBaseUser,
    note: str,
    photos: Sequence[bytes] = (),
    expected_version: int | None = None,
) -> Case:
    _require_note(note, Action.VERIFY_FAIL)
    return perform(
        case_id=case_id,
        action=Action.VERIFY_FAIL,
        actor=actor,
        note=note,
        photos=photos,
        photo_stage=CasePhoto.Stage.VERIFICATION,
        expected_version=expected_version,
    )


def case_accept(
    *,
    case_id: int,
    actor: AbstractBaseUser | None,
    note: str = "",
    urgency: Urgency | str | None = None,
    expected_version: int | None = None,
) -> Case:
    """Accept a report; the acceptor may correct its urgency, which sets later limits."""

    def change(act: Act) -> None:
        if urgency and urgency != act.case.urgency:
            act.data["urgency"] = {"from": act.case.urgency, "to": str(urgency)}
            act.case.urgency = Urgency(urgency)

    return perform(
        case_id=case_id,
        action=Action.ACCEPT,
        actor=actor,
        note=note,
        expected_version=expected_version,
        change=change,
    )


def case_reject(
    *, case_id: int, actor: AbstractBaseUser, reason: str, expected_version: int | None = None
) -> Case:
    _require_note(reason, Action.REJECT)
    return perform(
        case_id=case_id,
        action=Action.REJECT,
        actor=actor,
        note=reason,
        expected_version=expected_version,
    )


def case_self_handle(
    *,
    case_id: int,
    actor: AbstractBaseUser,
    note: str = "",
    photos: Sequence[bytes],
    expected_version: int | None = None,
) -> Case:
    """The inspector fixed a trivial problem on the spot; "after" photos prove it."""

    def change(act: Act) -> None:
        act.case.handled_at = act.now

    return perform(
        case_id=case_id,
        action=Action.SELF_HANDLE,
        actor=actor,
        note=note,
        photos=photos,
        photos_required=True,
        photo_stage=CasePhoto.Stage.HANDLING_AFTER,
        expected_version=expected_version,
        change=change,
    )


def case_approve_self_handle(
    *, case_id: int, actor: AbstractBaseUser, note: str = "", expected_version: int | None = None
) -> Case:
    def change(act: Act) -> None:
        act.case.outcome = Outcome.ON_TIME
        act.case.closed_at = act.now

    return perform(
        case_id=case_id,
        action=Action.APPROVE_SELF_HANDLE,
        actor=actor,
        note=note,
        expected_version=expected_version,
        change=change,
    )


def case_deny_self_handle(
    *, case_id: int, actor: AbstractBaseUser, note: str, expected_version: int | None = None
) -> Case:
    _require_note(note, Action.DENY_SELF_HANDLE)

    def change(act: Act) -> None:
        act.case.handled_at = None

    return perform(
        case_id=case_id,
        action=Action.DENY_SELF_HANDLE,
        actor=actor,
        note=note,
        expected_version=expected_version,
        change=change,
    )


def case_file(
    *,
    case_id: int,
    actor: AbstractBaseUser | None,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    return perform(
        case_id=case_id,
        action=Action.FILE,
        actor=actor,
        note=note,
        expected_version=expected_version,
    )


def case_void(
    *, case_id: int, actor: AbstractBaseUser, reason: str, expected_version: int | None = None
) -> Case:
    _require_note(reason, Action.VOID)
    return perform(
        case_id=case_id,
        action=Action.VOID,
        actor=actor,
        note=reason,
        expected_version=expected_version,
    )


def _require_note(note: str, action: Action) -> None:
    if not note or not note.strip():
        raise ValidationFailed(
            _("“%(action)s”需要填写理由。") % {"action": Action(action).label},
            code="reason_required",
        )


__all__ = [
    "Status",
    "case_accept",
    "case_approve_self_handle",
    "case_deny_self_handle",
    "case_file",
    "case_number_next",
    "case_reject",
    "case_report",
    "case_report_written",
    "case_self_handle",
    "case_send_for_verification",
    "case_verify_fail",
    "case_verify_pass",
]

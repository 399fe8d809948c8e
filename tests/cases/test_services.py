"""The case services on the real database: every (status, action) pair through the services,
permissions by scope, counters against the event log, numbers, the append-only log."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from cases import clock, services, workflow
from cases.models import BusinessType, Case, CaseEvent, Outcome
from cases.workflow import Action, Pending, Source, Status
from gridcity.errors import Conflict, InvalidTransition, NotPermitted, ValidationFailed
from tests.factories.cases import act, case_in_state, jpeg_bytes, report_case, valid_arguments

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
STATES = [(status, "") for status in Status] + [
    (Status.HANDLING, pending) for pending in Pending if pending
]


class Undo(Exception):
    """Raised to roll a savepoint back after an attempt."""


@pytest.mark.parametrize(("status", "pending"), STATES)
def test_services_follow_the_table_for_every_action_from_every_status(world, status, pending):
    case = case_in_state(world, status, pending)
    assert (case.status, case.pending) == (status, pending)

    for action in workflow.TRANSITIONS:
        kwargs = valid_arguments(world, action, case.pk)
        allowed = workflow.is_allowed(status, action, pending=pending)
        try:
            with transaction.atomic():
                if allowed:
                    after = services.ACTION_SERVICES[action](case_id=case.pk, **kwargs)
                    assert after.status == workflow.target(status, action, pending=pending)
                    event = after.events.order_by("-sequence").first()
                    assert (event.action, event.from_status, event.to_status) == (
                        action,
                        status,
                        after.status,
                    )
                else:
                    with pytest.raises(InvalidTransition) as refused:
                        services.ACTION_SERVICES[action](case_id=case.pk, **kwargs)
                    assert refused.value.details["allowed_actions"] == [
                        str(a) for a in workflow.allowed_actions(status, pending=pending)
                    ]
                kwargs["actor"] = world.administrator  # holds no workflow role
                with pytest.raises(NotPermitted):
                    services.ACTION_SERVICES[action](case_id=case.pk, **kwargs)
                raise Undo
        except Undo:
            pass

    case.refresh_from_db()
    assert case.status == status


def test_report_gives_consecutive_numbers_and_a_refused_report_uses_none(world):
    first = report_case(world)
    with pytest.raises(ValidationFailed):
        report_case(world, photos=[b"not an image"])
    with pytest.raises(ValidationFailed):
        report_case(world, location=world.point(dx=-50))  # outside the city
    second = report_case(world)

    year = str(clock.now().astimezone(SHANGHAI).year)
    assert first.number.startswith(year) and len(first.number) == 10
    assert int(second.number) == int(first.number) + 1


def test_report_resolves_grid_and_starts_the_acceptance_clock(world):
    case = report_case(world, location=world.point(grid=1))

    assert case.grid == world.grids[1]
    assert case.status == Status.REPORTED
    assert case.step == "accept"
    assert case.step_deadline > case.step_started_at or case.step_deadline == case.step_started_at
    assert case.timer_colour in {"green", "yellow", "red"}
    assert list(case.events.values_list("action", flat=True)) == ["report"]
    assert case.photos.get().stage == "report"


def test_report_by_inspector_needs_a_photo_and_its_own_source(world):
    with pytest.raises(ValidationFailed) as no_photo:
        report_case(world, photos=[])
    with pytest.raises(NotPermitted):
        report_case(world, source=Source.HOTLINE_12345, actor=world.inspector)
    with pytest.raises(NotPermitted):
        report_case(world, actor=world.handler)

    assert no_photo.value.code == "photo_required"
    assert Case.objects.count() == 0


def test_hotline_report_waits_for_verification_and_keeps_contact(world):
    case = report_case(
        world, source=Source.HOTLINE_12345, photos=[], reporter_name="李女士", reporter_phone="139"
    )

    assert case.status == Status.AWAITING_VERIFICATION
    assert case.step == "verify"
    assert (case.reporter_name, case.reporter_phone) == ("李女士", "139")


def test_handler_of_another_department_may_not_act(world):
    case = case_in_state(world, Status.HANDLING)

    with pytest.raises(NotPermitted) as refused:
        services.case_report_handled(
            case_id=case.pk, actor=world.street_handler, photos=[jpeg_bytes()]
        )

    assert refused.value.code == "not_lead_department"


def test_inspector_may_only_reinspect_own_grids(world):
    case = case_in_state(world, Status.AWAITING_REINSPECTION)

    with pytest.raises(NotPermitted) as refused:
        services.case_reinspect_pass(case_id=case.pk, actor=world.other_inspector)

    assert refused.value.code == "not_patrol_grid"


def test_stale_version_is_a_conflict(world):
    case = report_case(world)

    with pytest.raises(Conflict) as stale:
        services.case_accept(
            case_id=case.pk, actor=world.acceptor, expected_version=case.version - 1
        )
    accepted = services.case_accept(
        case_id=case.pk, actor=world.acceptor, expected_version=case.version
    )

    assert stale.value.code == "stale_version"
    assert accepted.version == case.version + 1


def test_sendback_redispatch_extension_and_rework_keep_counters_equal_to_events(world):
    case = case_in_state(world, Status.HANDLING)
    act(world, "request_sendback", case.pk)
    act(world, "approve_sendback", case.pk)
    act(world, "dispatch", case.pk, lead=world.street_office, assisting=[world.sanitation])
    act(world, "request_extension", case.pk, actor=world.street_handler)
    act(world, "approve_extension", case.pk)

    extended = Case.objects.get(pk=case.pk)
    services.case_report_handled(case_id=case.pk, actor=world.street_handler, photos=[jpeg_bytes()])
    act(world, "send_for_reinspection", case.pk)
    act(world, "reinspect_fail", case.pk)
    case.refresh_from_db()

    assert case.status == Status.HANDLING
    assert case.lead_department == world.street_office  # rework goes to the same department
    assert extended.business_type == BusinessType.COORDINATED
    assert extended.handling_deadline > extended.handling_started_at
    counts = {a: case.events.filter(action=a).count() for a in Action}
    assert case.sendback_count == counts[Action.APPROVE_SENDBACK] == 1
    assert case.extension_count == counts[Action.APPROVE_EXTENSION] == 1
    assert case.rework_count == counts[Action.REINSPECT_FAIL] == 1
    assert list(case.events.values_list("sequence", flat=True)) == list(
        range(1, case.events.count() + 1)
    )


def test_extension_must_move_the_deadline_later(world):
    case = case_in_state(world, Status.HANDLING)

    with pytest.raises(ValidationFailed) as earlier:
        services.case_request_extension(
            case_id=case.pk,
            actor=world.handler,
            until=case.handling_deadline - timedelta(minutes=1),
            reason="需要更多时间",
        )

    assert earlier.value.code == "deadline_not_later"
    assert Case.objects.get(pk=case.pk).pending == ""


def test_suspended_working_time_moves_the_deadline_and_stops_the_light(world):
    monday_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    with clock.played_at(monday_9):
        case = case_in_state(world, Status.HANDLING)
    deadline = case.handling_deadline
    with clock.played_at(monday_9 + timedelta(minutes=30)):
        act(world, "request_suspension", case.pk)
        act(world, "approve_suspension", case.pk)
    suspended = Case.objects.get(pk=case.pk)
    with clock.played_at(datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI)):  # Wednesday
        resumed = act(world, "resume", case.pk)

    # Monday 09:30 → Wednesday 09:30 is two working days of 7.5 duty hours.
    assert suspended.next_timer_change_at is None
    assert resumed.suspended_total == timedelta(hours=15)
    assert resumed.step_suspended == timedelta(hours=15)
    from departments.calendar import work_calendar

    calendar = work_calendar()
    assert resumed.handling_deadline == calendar.add(deadline, timedelta(hours=15))
    left_before = calendar.elapsed(monday_9 + timedelta(minutes=30), deadline)
    left_after = calendar.elapsed(
        datetime(2026, 11, 25, 9, 30, tzinfo=SHANGHAI), resumed.handling_deadline
    )
    assert left_after == left_before


def test_close_records_outcome_by_the_handling_deadline(world):
    monday_9 = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)
    with clock.played_at(monday_9):
        on_time = case_in_state(world, Status.CLOSED)
        late = case_in_state(world, Status.HANDLING)
    with clock.played_at(late.handling_deadline + timedelta(hours=1)):
        for step in ("report_handled", "send_for_reinspection", "reinspect_pass", "close"):
            act(world, step, late.pk)
    late.refresh_from_db()

    assert on_time.outcome == Outcome.ON_TIME
    assert late.outcome == Outcome.OVERDUE
    assert late.closed_at is not None and late.step == "" and late.timer_colour == ""


def test_self_handled_case_closes_on_approval(world):
    case = case_in_state(world, Status.SELF_HANDLED)

    closed = act(world, "approve_self_handle", case.pk)

    assert closed.status == Status.CLOSED
    assert closed.photos.filter(stage="handling_after").count() == 1


def test_urge_flags_without_changing_status(world):
    case = case_in_state(world, Status.HANDLING, Pending.EXTENSION)

    urged = act(world, "urge", case.pk)

    assert (urged.status, urged.pending, urged.urged, urged.urge_count) == (
        Status.HANDLING,
        Pending.EXTENSION,
        True,
        1,
    )


def test_event_log_refuses_update_and_delete_in_the_database(world):
    case = report_case(world)
    event = case.events.get()

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        CaseEvent.objects.filter(pk=event.pk).update(note="changed")
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM cases_caseevent WHERE id = %s", [event.pk])

    assert CaseEvent.objects.get(pk=event.pk).note == event.note


def test_unknown_case_is_not_found(world):
    from gridcity.errors import NotFound

    with pytest.raises(NotFound):
        services.case_accept(case_id=987654, actor=world.acceptor)


def test_report_with_overlong_fields_is_a_clear_validation_error(world):
    with pytest.raises(ValidationFailed) as refused:
        report_case(world, address="路" * 300)

    assert refused.value.code == "invalid_report"
    assert "address" in refused.value.details["fields"]
    assert Case.objects.count() == 0

"""After a report: the suggested department with its reason, probable duplicates, automation
rules, and who is told about the report."""

from __future__ import annotations

import pytest

from cases import services
from cases.models import AutomationRule, Case
from cases.workflow import Source, Status, SystemEvent
from departments.models import Notice
from tests.factories.cases import report_case

pytestmark = pytest.mark.django_db


def test_after_report_suggests_the_territorial_department_once(world):
    case = report_case(world)

    first = services.case_after_report(case_id=case.pk)
    again = services.case_after_report(case_id=case.pk)

    assert first.suggested_department == world.street_office
    assert first.suggestion_reason
    assert again.events.filter(action=SystemEvent.ROUTE_SUGGESTED).count() == 1


def test_near_report_of_the_same_category_is_a_probable_duplicate(world, settings):
    settings.GRIDCITY_DUPLICATE_RADIUS_M = 50
    original = report_case(world)
    near = report_case(world, location=world.point(dx=0.55))  # ~10 m east
    far = report_case(world, location=world.point(grid=1))  # ~200 m east

    services.case_after_report(case_id=near.pk)
    services.case_after_report(case_id=far.pk)

    near.refresh_from_db()
    far.refresh_from_db()
    assert near.duplicate_of == original
    assert original.number in near.duplicate_reason
    assert far.duplicate_of is None
    assert near.events.filter(action=SystemEvent.DUPLICATE_FLAGGED).count() == 1


def test_closed_cases_are_not_duplicates(world):
    original = report_case(world)
    Case.objects.filter(pk=original.pk).update(status=Status.NOT_ACCEPTED)
    near = report_case(world)

    assert services.case_after_report(case_id=near.pk).duplicate_of is None


def test_automation_rule_accepts_files_and_dispatches_to_the_suggestion(world):
    AutomationRule.objects.create(
        source=Source.INSPECTOR,
        category=world.matter,
        auto_accept=True,
        auto_file=True,
        auto_dispatch=True,
    )
    case = report_case(world)

    done = services.case_after_report(case_id=case.pk)

    assert done.status == Status.HANDLING
    assert done.lead_department == world.street_office
    assert list(done.events.values_list("actor_role", flat=True))[-3:] == ["system"] * 3


def test_automation_does_not_touch_reports_waiting_for_verification(world):
    AutomationRule.objects.create(auto_accept=True)
    case = report_case(world, source=Source.PUBLIC, photos=[])

    assert services.case_after_report(case_id=case.pk).status == Status.AWAITING_VERIFICATION


def test_public_report_tells_the_grids_inspector_to_verify(world):
    case = report_case(world, source=Source.PUBLIC, photos=[])
    event = case.events.get(action="report")

    services.case_event_notify(event_id=event.pk)

    assert list(Notice.objects.values_list("recipient", flat=True)) == [world.inspector.pk]

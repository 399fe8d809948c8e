"""After a report: the suggested department with its reason, probable duplicates, automation
rules, and who is told about the report."""

from __future__ import annotations

import math

import pytest
from django.contrib.gis.geos import Point
from django.db import connection

from cases import services
from cases.models import AutomationRule, Case
from cases.workflow import Source, Status, SystemEvent
from departments.models import Notice
from grids.spatial import degree_box
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


def _away(point: Point, metres: float, bearing: float) -> Point:
    """The point ``metres`` away on ``bearing`` (degrees), by PostGIS's own geography."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p::geometry), ST_Y(p::geometry) FROM ST_Project("
            "ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography, %s, radians(%s)) p",
            [point.x, point.y, metres, bearing],
        )
        lon, lat = cursor.fetchone()
    return Point(lon, lat, srid=4326)


def test_duplicates_are_found_up_to_the_radius_and_not_beyond(world, settings):
    # Diagonally from the first report, where a box drawn too tight would cut a corner; the
    # two later reports lie on opposite sides, 100 m apart.
    settings.GRIDCITY_DUPLICATE_RADIUS_M = 50
    original = report_case(world)
    inside = report_case(world, location=_away(original.location, 49.5, bearing=45))
    outside = report_case(world, location=_away(original.location, 51, bearing=225))

    assert services.case_after_report(case_id=inside.pk).duplicate_of == original
    assert services.case_after_report(case_id=outside.pk).duplicate_of is None


@pytest.mark.parametrize("latitude", [0.0, 36.06, 60.0, 85.0, -45.0])
@pytest.mark.parametrize("metres", [50.0, 2000.0])
def test_the_box_around_a_point_holds_every_point_within_the_radius(latitude, metres):
    centre = Point(120.38, latitude, srid=4326)
    box = degree_box(point=centre, meters=metres)
    west, south, east, north = box.extent
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p::geometry), ST_Y(p::geometry),"
            "       ST_Distance(c, p, false) FROM"
            " (SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography AS c) c,"
            " LATERAL (SELECT ST_Project(c, %s * f, radians(b)) AS p"
            "            FROM generate_series(0, 355, 5) b,"
            "                 unnest(ARRAY[0.99, 0.995, 0.999, 1.0, 1.003]) f) p",
            [centre.x, centre.y, metres],
        )
        rows = cursor.fetchall()
    within = [(lon, lat) for lon, lat, distance in rows if distance <= metres]
    assert len(within) >= 72  # at least one distance on every bearing
    for lon, lat in within:
        assert west <= lon <= east and south <= lat <= north, (lon, lat, box.extent)
    # Wider than needed, but not by much: the index still reads only the neighbourhood.
    assert north - centre.y < metres / 111_000 * 1.05
    assert east - centre.x < metres / (111_000 * math.cos(math.radians(latitude))) * 1.1


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

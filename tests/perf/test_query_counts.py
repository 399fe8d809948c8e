"""Query counts of the list endpoints and pages: a list of thirty rows must take no more
queries than a list of one, so an N+1 (a lookup per row) cannot come back unnoticed. Each test
reads the list with one row, adds rows, reads it again under the first count, and checks the
rows are really listed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import clock, services
from cases.models import Case, CaseEvent
from cases.workflow import Status, SystemEvent
from departments.models import Department
from grids.models import Category, Component
from tests.factories.cases import World, case_in_state, report_case
from tests.factories.departments import DepartmentFactory
from tests.factories.grids import make_district

pytestmark = pytest.mark.django_db

MORE = 29


def queries_of(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(captured.captured_queries), response


def assert_flat(
    client,
    url: str,
    grow: Callable[[], None],
    rows_of: Callable[[object], int],
    django_assert_max_num_queries,
) -> None:
    few, response = queries_of(client, url)
    listed_before = rows_of(response)

    grow()

    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert response.status_code == 200
    assert rows_of(response) >= listed_before + MORE


def api_rows(response) -> int:
    body = response.json()
    if "features" in body:  # GeoJSON pages
        return len(body["features"])
    return len(body["results"]) if isinstance(body, dict) else len(body)


def _report_more(world: World, count: int = MORE) -> None:
    for i in range(count):
        report_case(world, location=world.point(dx=0.1 + 0.8 * i / count, dy=0.3))


# ---------------------------------------------------------------- cases


def test_case_list_queries_do_not_grow_with_cases(client, world, django_assert_max_num_queries):
    report_case(world)
    client.force_login(world.dispatcher)

    def grow() -> None:
        _report_more(world, MORE - 2)
        case_in_state(world, Status.HANDLING)  # lead department, suggestion
        case_in_state(world, Status.FILED)

    assert_flat(client, "/api/v1/cases/", grow, api_rows, django_assert_max_num_queries)


def test_case_list_of_an_inspector_queries_do_not_grow(
    client, world, django_assert_max_num_queries
):
    report_case(world)
    client.force_login(world.inspector)

    assert_flat(
        client,
        "/api/v1/cases/",
        lambda: _report_more(world),
        api_rows,
        django_assert_max_num_queries,
    )


def test_case_detail_queries_do_not_grow_with_history(client, world, django_assert_max_num_queries):
    fresh = report_case(world)
    closed = case_in_state(world, Status.CLOSED)
    client.force_login(world.dispatcher)
    few, response = queries_of(client, f"/api/v1/cases/{fresh.pk}/")
    assert len(response.json()["events"]) == 1

    with django_assert_max_num_queries(few):
        response = client.get(f"/api/v1/cases/{closed.pk}/")

    assert len(response.json()["events"]) >= 8


# ---------------------------------------------------------------- city model


def test_grid_list_queries_do_not_grow_with_grids(client, world, django_assert_max_num_queries):
    client.force_login(world.dispatcher)
    url = "/api/v1/grids/?page_size=100"

    def grow() -> None:
        make_district(code="370203", communities_per_street=1, grid_rows=3, grid_cols=10)

    assert_flat(client, url, grow, api_rows, django_assert_max_num_queries)


def test_area_list_queries_do_not_grow_with_areas(client, world, django_assert_max_num_queries):
    client.force_login(world.dispatcher)

    def grow() -> None:
        make_district(code="370203", streets=3, communities_per_street=9, grid_rows=1,
                      grid_cols=1)  # fmt: skip

    assert_flat(
        client, "/api/v1/areas/?page_size=100", grow, api_rows, django_assert_max_num_queries
    )


def test_component_list_queries_do_not_grow_with_components(
    client, world, django_assert_max_num_queries
):
    def add(count: int, start: int) -> None:
        grid = world.grids[0]
        for i in range(start, start + count):
            Component.objects.create(
                identifier=f"37020201001{i + 1:06d}",
                category=world.component_category,
                geometry=Point(120.3805 + i * 1e-5, 36.0605, srid=4326),
                grid=grid,
                grid_code=grid.code,
            )

    add(1, 0)
    client.force_login(world.dispatcher)

    assert_flat(
        client,
        "/api/v1/components/",
        lambda: add(MORE, 1),
        api_rows,
        django_assert_max_num_queries,
    )


def test_category_list_queries_do_not_grow_with_categories(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.dispatcher)

    def grow() -> None:
        for i in range(MORE):
            Category.objects.create(
                kind=Category.Kind.MATTER,
                code=f"99{i + 100:03d}",
                name=f"地方事件{i}",
                major_code="99",
                major_name="地方扩展",
                edition="local",
                is_local=True,
            )

    assert_flat(
        client,
        "/api/v1/categories/?page_size=1000",
        grow,
        lambda r: r.json()["count"] if "count" in r.json() else api_rows(r),
        django_assert_max_num_queries,
    )


# ---------------------------------------------------------------- departments


def test_department_list_queries_do_not_grow_with_departments(
    client, world, django_assert_max_num_queries
):
    client.force_login(world.dispatcher)

    def grow() -> None:
        parent = DepartmentFactory()
        for _ in range(MORE):
            DepartmentFactory(parent=parent)

    assert_flat(
        client,
        "/api/v1/departments/",
        grow,
        lambda r: r.json()["count"] if "count" in r.json() else api_rows(r),
        django_assert_max_num_queries,
    )
    assert Department.objects.count() > MORE


# ---------------------------------------------------------------- pages


def test_dispatch_queue_page_queries_do_not_grow_with_cases(
    client, world, django_assert_max_num_queries
):
    report_case(world)
    client.force_login(world.dispatcher)
    url = "/dispatch/queue/?queue=all"

    def rows(response) -> int:
        return response.content.decode().count('id="case-row-')

    few, response = queries_of(client, url)
    before = rows(response)
    _report_more(world)

    with django_assert_max_num_queries(few):
        response = client.get(url)

    assert response.status_code == 200
    assert Case.objects.count() == 1 + MORE
    assert rows(response) > before  # a full page now (the page size caps it)


def test_dispatch_map_queries_do_not_grow_with_cases(client, world, django_assert_max_num_queries):
    report_case(world)
    client.force_login(world.dispatcher)

    assert_flat(
        client,
        "/dispatch/map.geojson?queue=all",
        lambda: _report_more(world),
        api_rows,
        django_assert_max_num_queries,
    )


def test_report_table_queries_do_not_grow_with_departments(
    client, world, django_assert_max_num_queries
):
    case_in_state(world, Status.CLOSED)
    client.force_login(world.dispatcher)
    today = date.today().isoformat()
    url = f"/reports/by/department/?kind=month&day={today}"
    few, _response = queries_of(client, url)

    for _ in range(3):
        case_in_state(world, Status.HANDLING)

    with django_assert_max_num_queries(few):
        response = client.get(url)
    assert response.status_code == 200


# ---------------------------------------------------------------- timer sweep


def test_timer_sweep_queries_do_not_grow_with_due_cases(
    world, django_assert_max_num_queries, monkeypatch
):
    # Notices go in tasks of NOTICE_EVENTS_PER_TASK events (one outbox row each): a row per 20
    # events is by design; what must not come back is a query per case.
    monkeypatch.setattr("cases.services._core.NOTICE_EVENTS_PER_TASK", 1000)
    monday_9 = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with clock.played_at(monday_9):  # acceptance within 30 working minutes: yellow at 9:24
        report_case(world)
    with CaptureQueriesContext(connection) as captured:
        assert services.sweep_case_timers(now=monday_9 + timedelta(minutes=25)) == 1
    few = len(captured.captured_queries)
    with clock.played_at(monday_9 + timedelta(hours=1)):
        _report_more(world)

    # The first case turns red and escalates, the thirty others turn yellow: one batch.
    with django_assert_max_num_queries(few):
        changed = services.sweep_case_timers(now=monday_9 + timedelta(hours=1, minutes=25))

    assert changed == 1 + MORE
    assert CaseEvent.objects.filter(action=SystemEvent.TIMER_CHANGED).count() == 2 + MORE
    assert CaseEvent.objects.filter(action=SystemEvent.ESCALATED).count() == 1

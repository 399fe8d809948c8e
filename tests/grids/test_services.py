"""Writes of the city model: areas, grids (measured, versioned), components (placed, numbered)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from gridcity.errors import Conflict, ValidationFailed
from gridcity.geo import make_point
from grids import selectors, services
from grids.generator import metres_per_degree
from grids.models import Area, Component, ComponentSerial, Grid
from tests.factories.grids import ORIGIN, ComponentFactory, District, make_district, square


def _at(*, east_m: float, south_m: float):
    per_lon, per_lat = metres_per_degree(ORIGIN[1])
    return make_point(lon=ORIGIN[0] + east_m / per_lon, lat=ORIGIN[1] - south_m / per_lat)


def test_area_create_derives_level_and_parent_from_the_code(directory: int) -> None:
    services.area_create(code="370202", name="市南区")
    street = services.area_create(code="370202001", name="八大关街道")

    community = services.area_create(code="370202001001", name="第一社区")

    assert community.level == Area.Level.COMMUNITY
    assert community.parent == street
    assert street.parent.level == Area.Level.DISTRICT


def test_area_create_refuses_an_orphan(directory: int) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.area_create(code="370202001001", name="孤儿社区")

    assert caught.value.code == "parent_missing"


def test_grid_create_measures_the_area_in_square_metres(district: District) -> None:
    grid = district.grids[0]

    assert grid.area_m2 == pytest.approx(10_000, rel=1e-3)


def test_grid_create_refuses_a_code_of_another_community(district: District) -> None:
    with pytest.raises(ValidationFailed):
        services.grid_create(
            code="370202001002009",
            community=district.communities[0],
            boundary=square(lon=ORIGIN[0], lat=ORIGIN[1], width_m=50),
        )


def test_grid_create_refuses_an_invalid_boundary_with_the_reason(district: District) -> None:
    from django.contrib.gis.geos import MultiPolygon, Polygon

    bowtie = MultiPolygon(
        Polygon(((120.0, 36.0), (120.01, 36.01), (120.01, 36.0), (120.0, 36.01), (120.0, 36.0))),
        srid=4326,
    )

    with pytest.raises(ValidationFailed) as caught:
        services.grid_create(
            code="370202001001009", community=district.communities[0], boundary=bowtie
        )

    assert "Self-intersection" in caught.value.message


def test_grid_create_refuses_a_code_in_force(district: District) -> None:
    with pytest.raises(Conflict):
        services.grid_create(
            code="370202001001001",
            community=district.communities[0],
            boundary=square(lon=ORIGIN[0], lat=ORIGIN[1], width_m=50),
        )


def test_grid_retire_and_replace_keeps_the_old_version_and_moves_components(
    district: District,
) -> None:
    old = district.grids[0]
    component = ComponentFactory(geometry=_at(east_m=20, south_m=20))
    smaller = square(lon=ORIGIN[0], lat=ORIGIN[1], width_m=50)

    new = services.grid_retire_and_replace(grid=old, boundary=smaller)

    old.refresh_from_db()
    component.refresh_from_db()
    assert old.valid_to == timezone.localdate() == new.valid_from
    assert new.code == old.code and new.valid_to is None
    assert new.area_m2 == pytest.approx(2_500, rel=1e-3)
    assert component.grid == new
    assert Grid.objects.filter(code=old.code).count() == 2


def test_grid_retire_and_replace_leaves_components_no_longer_covered_without_grid(
    district: District,
) -> None:
    old = district.grids[0]
    component = ComponentFactory(geometry=_at(east_m=80, south_m=80))

    services.grid_retire_and_replace(
        grid=old, boundary=square(lon=ORIGIN[0], lat=ORIGIN[1], width_m=50)
    )

    component.refresh_from_db()
    assert component.grid is None
    assert component.grid_code == ""


def test_grid_retire_and_replace_refuses_a_future_date_and_a_retired_grid(
    district: District,
) -> None:
    old = district.grids[0]
    with pytest.raises(ValidationFailed):
        services.grid_retire_and_replace(
            grid=old, valid_from=timezone.localdate() + dt.timedelta(days=1)
        )
    services.grid_retire(grid=old)

    with pytest.raises(Conflict):
        services.grid_retire_and_replace(grid=old)


def test_grid_boundary_correct_only_on_the_first_day(directory: int) -> None:
    today = make_district(valid_from=timezone.localdate())
    grid = today.grids[0]

    corrected = services.grid_boundary_correct(
        grid=grid, boundary=square(lon=ORIGIN[0], lat=ORIGIN[1], width_m=60)
    )

    assert corrected.pk == grid.pk
    assert corrected.area_m2 == pytest.approx(3_600, rel=1e-3)
    older = Grid.objects.filter(valid_from__lt=timezone.localdate()).first()
    assert older is None


def test_component_create_places_it_and_numbers_it_per_district_and_class(
    district: District,
) -> None:
    first = ComponentFactory(geometry=_at(east_m=150, south_m=150))
    second = ComponentFactory(geometry=_at(east_m=250, south_m=50))
    lamp = ComponentFactory(
        category=selectors.category_get(kind="component", code="01037"),
        geometry=_at(east_m=10, south_m=10),
    )

    assert (first.identifier, second.identifier) == ("37020201001000001", "37020201001000002")
    assert lamp.identifier == "37020201037000001"
    assert first.grid.code == "370202001001004"
    assert (first.street_code, first.community_name) == ("370202001", "测试社区1-1")
    assert second.grid_code == "370202001002001"


def test_component_create_with_an_identifier_moves_the_counter_past_it(district: District) -> None:
    ComponentFactory(identifier="37020201001000500", geometry=_at(east_m=10, south_m=10))

    generated = ComponentFactory(geometry=_at(east_m=20, south_m=20))

    assert generated.identifier == "37020201001000501"


def test_component_create_refuses_a_matter_category_and_a_place_outside(district: District) -> None:
    with pytest.raises(ValidationFailed):
        services.component_create(
            category=selectors.category_get(kind="matter", code="06010"),
            geometry=_at(east_m=10, south_m=10),
        )
    with pytest.raises(ValidationFailed) as caught:
        services.component_create(
            category=selectors.category_get(kind="component", code="01001"),
            geometry=make_point(lon=121.5, lat=37.0),
        )
    assert caught.value.code == "outside_city"


def test_component_create_places_a_line_by_its_point_on_surface(district: District) -> None:
    from django.contrib.gis.geos import LineString

    a, b = _at(east_m=110, south_m=10), _at(east_m=190, south_m=10)
    fence = ComponentFactory(
        category=selectors.category_get(kind="component", code="02017"),
        geometry=LineString(a, b, srid=4326),
    )

    assert fence.grid.code == "370202001001002"


def test_component_update_moves_it_and_records_the_change_date(district: District) -> None:
    component = ComponentFactory(
        geometry=_at(east_m=10, south_m=10), survey_date=dt.date(2020, 1, 1)
    )

    moved = services.component_update(
        component=component, changes={"geometry": _at(east_m=310, south_m=110), "status": "damaged"}
    )

    assert moved.grid.code == "370202001002004"
    assert moved.status == Component.Status.DAMAGED
    assert moved.change_date == timezone.localdate()


def test_component_update_refuses_a_read_only_field(district: District) -> None:
    component = ComponentFactory(geometry=_at(east_m=10, south_m=10))

    with pytest.raises(ValidationFailed):
        services.component_update(component=component, changes={"identifier": "1" * 17})


@pytest.mark.django_db(transaction=True)
def test_serial_reserve_never_issues_a_serial_twice_under_concurrency() -> None:
    issued: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def reserve() -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(10):
                with transaction.atomic():
                    issued.append(
                        services.components.serial_reserve(
                            district_code="370202", class_code="01001"
                        )
                    )
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(issued) == list(range(1, 41))
    assert ComponentSerial.objects.get(district_code="370202", class_code="01001").last_serial == 40

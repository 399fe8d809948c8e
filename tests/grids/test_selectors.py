"""Spatial reads: the grid under a point (shared edges, outside the city, versions), components
near a point, bounding boxes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gridcity.errors import NotFound, ValidationFailed
from gridcity.geo import make_point
from grids import selectors, services
from grids.generator import metres_per_degree
from grids.models import Grid
from tests.factories.grids import ORIGIN, ComponentFactory, District


def _at(*, east_m: float, south_m: float) -> tuple[float, float]:
    per_lon, per_lat = metres_per_degree(ORIGIN[1])
    return ORIGIN[0] + east_m / per_lon, ORIGIN[1] - south_m / per_lat


def test_grid_for_point_finds_the_grid_covering_the_point(district: District) -> None:
    lon, lat = _at(east_m=150, south_m=50)  # second column, first row of community 1

    grid = selectors.grid_for_point(point=make_point(lon=lon, lat=lat))

    assert grid.code == "370202001001002"
    assert grid.community.parent.parent.code == "370202"


def test_grid_for_point_on_a_shared_edge_always_picks_the_lowest_pk(district: District) -> None:
    edge = _at(east_m=100, south_m=50)  # between grids 001 and 002
    corner = _at(east_m=100, south_m=100)  # where four grids meet

    on_edge = {
        selectors.grid_for_point(point=make_point(lon=edge[0], lat=edge[1])) for _ in range(5)
    }
    at_corner = selectors.grid_for_point(point=make_point(lon=corner[0], lat=corner[1]))

    first_two = district.grids[:2]
    assert on_edge == {min(first_two, key=lambda g: g.pk)}
    assert at_corner == min(district.grids_of(district.communities[0]), key=lambda g: g.pk)


def test_grid_for_point_outside_every_grid_says_outside_city(district: District) -> None:
    with pytest.raises(ValidationFailed) as caught:
        selectors.grid_for_point(point=make_point(lon=121.0, lat=37.0))

    assert caught.value.code == "outside_city"


def test_grid_for_point_uses_the_version_in_force_on_the_date(district: District) -> None:
    old = district.grids[0]
    last_week = timezone.localdate() - dt.timedelta(days=7)
    new = services.grid_retire_and_replace(grid=old, grade=Grid.Grade.FIRST)
    lon, lat = _at(east_m=50, south_m=50)
    here = make_point(lon=lon, lat=lat)

    assert selectors.grid_for_point(point=here) == new
    assert selectors.grid_for_point(point=here, on=last_week) == old


def test_grid_by_code_returns_the_current_version_or_not_found(district: District) -> None:
    assert selectors.grid_by_code(code="370202001002004").community.code == "370202001002"
    with pytest.raises(NotFound):
        selectors.grid_by_code(code="370202001002099")


def test_components_near_orders_by_distance_in_metres(district: District) -> None:
    here = _at(east_m=50, south_m=50)
    far = ComponentFactory(geometry=make_point(lon=_at(east_m=90, south_m=50)[0], lat=here[1]))
    near = ComponentFactory(geometry=make_point(lon=_at(east_m=60, south_m=50)[0], lat=here[1]))
    ComponentFactory(geometry=make_point(lon=_at(east_m=350, south_m=50)[0], lat=here[1]))

    found = list(selectors.components_near(point=make_point(lon=here[0], lat=here[1]), meters=50))

    assert found == [near, far]
    assert found[0].distance_m == pytest.approx(10, abs=0.05)
    assert found[1].distance_m == pytest.approx(40, abs=0.1)


def test_components_near_filters_by_category(district: District) -> None:
    lon, lat = _at(east_m=50, south_m=50)
    lamp = selectors.category_get(kind="component", code="01037")
    ComponentFactory(geometry=make_point(lon=lon, lat=lat))
    wanted = ComponentFactory(category=lamp, geometry=make_point(lon=lon, lat=lat))

    found = list(
        selectors.components_near(point=make_point(lon=lon, lat=lat), meters=5, category=lamp)
    )

    assert found == [wanted]


def test_grid_list_in_bbox_returns_only_grids_meeting_the_box(district: District) -> None:
    west, north = _at(east_m=10, south_m=10)
    east, south = _at(east_m=90, south_m=90)

    grids = selectors.grid_list(bbox=(west, south, east, north))

    assert [g.code for g in grids] == ["370202001001001"]


def test_in_bbox_refuses_a_box_given_in_the_wrong_order(district: District) -> None:
    with pytest.raises(ValidationFailed):
        selectors.grid_list(bbox=(120.5, 36.0, 120.3, 36.1))

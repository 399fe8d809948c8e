"""The factories other apps build on: valid rows with the hierarchy the contracts promise."""

from __future__ import annotations

from grids import selectors
from grids.models import Area
from tests.factories.grids import (
    AreaFactory,
    CategoryFactory,
    ComponentFactory,
    GridFactory,
    make_district,
)


def test_area_factory_makes_a_community_under_a_street_under_a_district(db: None) -> None:
    community = AreaFactory()

    assert community.level == Area.Level.COMMUNITY
    assert community.parent.code == "370202001"
    assert community.parent.parent.code == "370202"
    assert community.code.startswith("370202001") and len(community.code) == 12


def test_grid_factory_makes_a_grid_in_force_with_its_area(db: None) -> None:
    grid = GridFactory()

    assert grid.code.startswith(grid.community.code) and len(grid.code) == 15
    assert grid.is_current()
    assert 9_900 < grid.area_m2 < 10_100


def test_category_factory_reuses_a_directory_row(directory: int) -> None:
    assert CategoryFactory() == selectors.category_get(kind="component", code="01001")
    assert CategoryFactory(kind="matter", code="06010").name == "暴露垃圾"


def test_component_factory_places_the_component_in_its_grid(db: None) -> None:
    grid = GridFactory()

    component = ComponentFactory()

    assert component.grid == grid
    assert component.identifier == "37020201001000001"


def test_make_district_builds_the_documented_layout(directory: int) -> None:
    built = make_district(streets=2, communities_per_street=2, grid_rows=1, grid_cols=3)

    assert [s.code for s in built.streets] == ["370202001", "370202002"]
    assert [c.code for c in built.communities][-1] == "370202002002"
    assert len(built.grids) == 12
    assert [g.code for g in built.grids_of(built.communities[0])] == [
        "370202001001001", "370202001001002", "370202001001003",
    ]  # fmt: skip
    assert all(g.community.parent.parent == built.district for g in built.grids)

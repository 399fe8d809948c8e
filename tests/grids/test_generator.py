"""generate_grids: cells of about 10,000 m², clipped, slivers merged, numbered the standard way."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely
from django.core.management import call_command
from django.utils import timezone

from gridcity.errors import Conflict
from grids import services
from grids.generator import cut_cells, metres_per_degree
from grids.models import Grid
from tests.factories.grids import ORIGIN, square


def _community(width_m: float, height_m: float):
    services.area_create(code="370202", name="市南区")
    services.area_create(code="370202001", name="八大关街道")
    return services.area_create(
        code="370202001001",
        name="第一社区",
        boundary=square(lon=ORIGIN[0], lat=ORIGIN[1], width_m=width_m, height_m=height_m),
    )


def test_cut_cells_numbers_west_to_east_then_north_to_south() -> None:
    per_lon, per_lat = metres_per_degree(36.0)
    block = shapely.box(120.0, 36.0 - 200 / per_lat, 120.0 + 300 / per_lon, 36.0)

    cells = cut_cells(block, cell_m2=10_000)

    assert [(c.row, c.col) for c in cells] == [(r, c) for r in range(2) for c in range(3)]
    xs = [c.geometry.centroid.x for c in cells]
    ys = [c.geometry.centroid.y for c in cells]
    assert xs[0] < xs[1] < xs[2] and ys[0] > ys[3]


def test_cut_cells_merges_slivers_into_a_neighbour() -> None:
    per_lon, per_lat = metres_per_degree(36.0)
    # 220 m wide: the third column keeps only 20 m (20 %), below the 30 % threshold
    block = shapely.box(120.0, 36.0 - 100 / per_lat, 120.0 + 220 / per_lon, 36.0)

    cells = cut_cells(block, cell_m2=10_000, min_fraction=0.3)

    assert len(cells) == 2
    assert shapely.union_all([c.geometry for c in cells]).equals(block)
    assert max(c.area for c in cells) / min(c.area for c in cells) == pytest.approx(1.2, rel=1e-4)


def test_cut_cells_keeps_pieces_above_the_threshold_as_grids() -> None:
    per_lon, per_lat = metres_per_degree(36.0)
    block = shapely.box(120.0, 36.0 - 100 / per_lat, 120.0 + 250 / per_lon, 36.0)

    assert len(cut_cells(block, cell_m2=10_000, min_fraction=0.3)) == 3


def test_grids_generate_codes_cells_and_measures_them(directory: int) -> None:
    community = _community(300, 200)

    grids = services.grids_generate(community=community)

    assert [g.code for g in grids] == [f"370202001001{n:03d}" for n in range(1, 7)]
    assert all(g.area_m2 == pytest.approx(10_000, rel=2e-3) for g in grids)
    assert sum(g.area_m2 for g in grids) == pytest.approx(60_000, rel=2e-3)
    northwest = min(grids, key=lambda g: (-round(g.boundary.centroid.y, 6), g.boundary.centroid.x))
    assert northwest.code.endswith("001")


def test_grids_generate_refuses_a_community_with_grids_unless_replacing(directory: int) -> None:
    community = _community(200, 100)
    last_year = timezone.localdate() - dt.timedelta(days=365)
    first = services.grids_generate(community=community, valid_from=last_year)
    with pytest.raises(Conflict):
        services.grids_generate(community=community)

    second = services.grids_generate(community=community, cell_m2=20_000, replace=True)

    assert len(first) == 2 and len(second) == 1
    assert Grid.objects.current().filter(community=community).count() == 1
    assert all(
        g.valid_to == timezone.localdate()
        for g in Grid.objects.filter(pk__in=[g.pk for g in first])
    )


def test_generate_grids_command_then_check_grids_finds_nothing(directory: int, capsys) -> None:
    _community(350, 250)

    call_command("generate_grids", "370202")
    call_command("check_grids", "--within", "370202")

    # 4 × 3 cells; the south-east corner keeps 50 × 50 m (25 %) and joins a neighbour
    out = capsys.readouterr().out
    assert "370202001001 第一社区: 11 个网格" in out
    assert "未发现问题" in out

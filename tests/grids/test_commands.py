"""The management commands as staff run them: imports with their report, exports that GDAL
reads back, and check_grids on a deliberately broken layer."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.gis.gdal import DataSource
from django.contrib.gis.geos import LineString, MultiPolygon, Polygon
from django.core.management import CommandError, call_command

from gridcity.geo import make_point
from grids import selectors, services
from grids.generator import metres_per_degree
from grids.models import Component, Grid
from grids.topology import grids_topology_check
from tests.factories.grids import ORIGIN, ComponentFactory, District
from tests.grids.conftest import feature, point


def _inside(east_m: float, south_m: float) -> tuple[float, float]:
    per_lon, per_lat = metres_per_degree(ORIGIN[1])
    return ORIGIN[0] + east_m / per_lon, ORIGIN[1] - south_m / per_lat


def _box(west_m: float, north_m: float, east_m: float, south_m: float) -> MultiPolygon:
    (w, n), (e, s) = _inside(west_m, north_m), _inside(east_m, south_m)
    return MultiPolygon(Polygon.from_bbox((w, s, e, n)), srid=4326)


def test_import_components_command_lists_problems_and_fails(
    district: District, vector_file: Callable[..., Path]
) -> None:
    path = vector_file(
        "c.geojson",
        [
            feature(point(*_inside(10, 10)), category="01001"),
            feature(point(*_inside(20, 10)), category="01001", ObjState="坏了"),
        ],
    )
    err = StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("import_components", str(path), stdout=StringIO(), stderr=err)

    assert "第 2 个要素" in err.getvalue() and "坏了" in err.getvalue()
    assert "未导入任何数据" in str(caught.value)
    assert Component.objects.count() == 0


def test_import_components_command_reports_the_count(
    district: District, vector_file: Callable[..., Path]
) -> None:
    path = vector_file("c.csv", [feature(point(*_inside(10, 10)), name="井盖")])
    out = StringIO()

    call_command(
        "import_components", str(path), "--srid", "4326", "--category", "01001", stdout=out
    )

    assert "新增 1" in out.getvalue()
    assert Component.objects.get().category.code == "01001"


def test_import_areas_and_grids_commands_in_sequence(
    directory: int, vector_file: Callable[..., Path], tmp_path: Path
) -> None:
    def polygon(shape: MultiPolygon) -> dict:
        return json.loads(shape.json)

    areas = vector_file(
        "areas.gpkg",
        [
            feature(polygon(_box(0, 0, 200, 100)), code="370202", name="市南区"),
            feature(polygon(_box(0, 0, 200, 100)), code="370202001", name="八大关街道"),
            feature(polygon(_box(0, 0, 200, 100)), code="370202001001", name="第一社区"),
        ],
    )
    grids = vector_file(
        "grids.shp",
        [
            feature(polygon(_box(0, 0, 100, 100)), BGID="370202001001001"),
            feature(polygon(_box(100, 0, 200, 100)), BGID="370202001001002"),
        ],
    )

    call_command("import_areas", str(areas), stdout=StringIO())
    call_command("import_grids", str(grids), "--grade", "1", stdout=StringIO())

    assert Grid.objects.current().filter(grade=1).count() == 2
    assert grids_topology_check(within="370202").ok


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".csv", ".fgb"])
def test_export_grids_writes_a_file_gdal_reads_back(
    district: District, tmp_path: Path, suffix: str
) -> None:
    target = tmp_path / f"grids{suffix}"

    call_command("export_grids", str(target), "--within", "370202001002", stdout=StringIO())

    layer = DataSource(str(target))[0]
    assert layer.num_feat == 4
    codes = sorted(str(f.get("code")) for f in layer)
    assert codes == [f"370202001002{n:03d}" for n in range(1, 5)]
    assert float(next(iter(layer)).get("area_m2")) == pytest.approx(10_000, rel=1e-3)


def test_export_grids_in_a_gauss_kruger_zone(district: District, tmp_path: Path) -> None:
    target = tmp_path / "grids.gpkg"

    call_command("export_grids", str(target), "--srid", "4549", stdout=StringIO())

    layer = DataSource(str(target))[0]
    assert layer.srs.srid == 4549
    first = next(iter(layer)).geom
    assert first.area == pytest.approx(10_000, rel=2e-3)  # metres on the plane


def test_export_components_round_trip_through_a_shapefile_with_legacy_names(
    district: District, tmp_path: Path
) -> None:
    lon, lat = _inside(10, 10)
    ComponentFactory(geometry=make_point(lon=lon, lat=lat), status="damaged")
    (a, b) = _inside(110, 20), _inside(190, 20)
    ComponentFactory(
        category=selectors.category_get(kind="component", code="02017"),
        geometry=LineString(a, b, srid=4326),
    )
    target = tmp_path / "components.shp"

    call_command("export_components", str(target), "--legacy-names", stdout=StringIO())

    points, lines = tmp_path / "components_point.shp", tmp_path / "components_line.shp"
    assert points.exists() and lines.exists()
    assert not (tmp_path / "components_polygon.shp").exists()
    layer = DataSource(str(points))[0]
    assert {"ObjID", "ObjName", "BGID", "ObjState", "DeptCode1"} <= set(layer.fields)
    assert next(iter(layer)).get("ObjState") == "破损"
    Component.objects.all().delete()

    call_command("import_components", str(points), stdout=StringIO())
    call_command("import_components", str(lines), stdout=StringIO())

    assert sorted(Component.objects.values_list("identifier", "status")) == [
        ("37020201001000001", "damaged"), ("37020202017000001", "intact"),
    ]  # fmt: skip


def test_check_grids_reports_overlap_gap_and_spill_with_areas(district: District) -> None:
    # Community 1: grid 001 swells 20 m into 002 (overlap 20 × 100 = 2,000 m²) and 10 m north
    # out of the community (100 × 10 = 1,000 m² outside); grid 004 is retired, leaving a gap.
    grids = {g.code: g for g in district.grids}
    services.grid_retire_and_replace(grid=grids["370202001001001"], boundary=_box(0, -10, 120, 100))
    services.grid_retire(grid=grids["370202001001004"])
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("check_grids", "--within", "370202001", stdout=out)
    report = grids_topology_check(within="370202001")

    found = {(i.kind, i.grid_codes): i.area_m2 for i in report.issues}
    assert found[("overlap", ("370202001001001", "370202001001002"))] == pytest.approx(
        2_000, rel=5e-3
    )
    assert found[("outside", ("370202001001001",))] == pytest.approx(1_200, rel=5e-3)
    assert found[("gap", ())] == pytest.approx(10_000, rel=5e-3)
    assert len(report.issues) == 3
    printed = out.getvalue()
    assert "[overlap] 网格 370202001001001、370202001001002 互相重叠" in printed
    assert "[gap] 社区 370202001001 内有" in printed

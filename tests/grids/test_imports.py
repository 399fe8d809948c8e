"""Imports from any GDAL format: components (the bulk loader), areas and grids; every bad
feature reported by index, nothing written on error, source CRSs transformed exactly."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

from gridcity.errors import ValidationFailed
from gridcity.geo import make_point
from grids import selectors, services
from grids.generator import metres_per_degree
from grids.io.fields import ImportFailed
from grids.io.source import source_open
from grids.models import Area, Component, Grid
from grids.services.imports import areas_import, components_import, grids_import
from tests.factories.grids import ORIGIN, District
from tests.grids.conftest import feature, point

CGCS2000_A = 6_378_137.0
CGCS2000_F = 1 / 298.257222101


def gauss_kruger(lon: float, lat: float, *, central_meridian: float, false_easting: float):
    """Forward transverse Mercator (Snyder, USGS PP 1395, eq. 8-9…8-10) on the CGCS2000
    ellipsoid, k0 = 1: the test's own maths, independent of PROJ."""
    e2 = 2 * CGCS2000_F - CGCS2000_F**2
    ep2 = e2 / (1 - e2)
    phi = math.radians(lat)
    n = CGCS2000_A / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    t = math.tan(phi) ** 2
    c = ep2 * math.cos(phi) ** 2
    a = math.radians(lon - central_meridian) * math.cos(phi)
    m = CGCS2000_A * (
        (1 - e2 / 4 - 3 * e2**2 / 64 - 5 * e2**3 / 256) * phi
        - (3 * e2 / 8 + 3 * e2**2 / 32 + 45 * e2**3 / 1024) * math.sin(2 * phi)
        + (15 * e2**2 / 256 + 45 * e2**3 / 1024) * math.sin(4 * phi)
        - (35 * e2**3 / 3072) * math.sin(6 * phi)
    )
    x = n * (a + (1 - t + c) * a**3 / 6 + (5 - 18 * t + t**2 + 72 * c - 58 * ep2) * a**5 / 120)
    y = m + n * math.tan(phi) * (
        a**2 / 2
        + (5 - t + 9 * c + 4 * c**2) * a**4 / 24
        + (61 - 58 * t + t**2 + 600 * c - 330 * ep2) * a**6 / 720
    )
    return false_easting + x, y


def web_mercator(lon: float, lat: float) -> tuple[float, float]:
    r = 6_378_137.0
    return r * math.radians(lon), r * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _inside(east_m: float, south_m: float) -> tuple[float, float]:
    per_lon, per_lat = metres_per_degree(ORIGIN[1])
    return ORIGIN[0] + east_m / per_lon, ORIGIN[1] - south_m / per_lat


def _distance_m(component: Component, lon: float, lat: float) -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Distance(geometry::geography,"
            " ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography)"
            " FROM grids_component WHERE id = %s",
            [lon, lat, component.pk],
        )
        return cursor.fetchone()[0]


GOOD = [
    feature(point(*_inside(20, 20)), category="01001", name="井盖甲", status="完好"),
    feature(point(*_inside(150, 50)), category="04002", name="行道树", status="damaged",
            survey_date="2021-05-06"),
]  # fmt: skip
BAD = [
    feature(point(*_inside(30, 30)), category="01001", status="坏了"),
    feature(point(*_inside(40, 40)), category="01001", identifier="12345"),
    feature(point(121.9, 37.5), category="01001"),
    feature(point(*_inside(60, 60)), category="01001", survey_date="2021-13-45"),
    feature(point(*_inside(70, 70)), category="06010"),
]  # fmt: skip


@pytest.mark.parametrize("name", ["good.geojson", "good.shp", "good.gpkg", "good.csv"])
def test_components_import_reads_each_format(
    district: District, vector_file: Callable[..., Path], name: str
) -> None:
    path = vector_file(name, GOOD)

    result = components_import(
        source=source_open(path, srid=4326 if name.endswith(".csv") else None)
    )

    assert (result.total, result.created) == (2, 2)
    tree = Component.objects.get(name="行道树")
    assert tree.identifier == "37020204002000001"
    assert tree.grid.code == "370202001001002"
    assert tree.status == Component.Status.DAMAGED
    assert str(tree.survey_date) == "2021-05-06"
    assert _distance_m(tree, *_inside(150, 50)) < 0.01


@pytest.mark.parametrize("name", ["bad.geojson", "bad.shp", "bad.gpkg", "bad.csv"])
def test_components_import_reports_every_bad_feature_and_writes_nothing(
    district: District, vector_file: Callable[..., Path], name: str
) -> None:
    path = vector_file(name, [*GOOD, *BAD])

    with pytest.raises(ImportFailed) as caught:
        components_import(source=source_open(path, srid=4326 if name.endswith(".csv") else None))

    reasons = {p.index: p.reason for p in caught.value.problems}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert "坏了" in reasons[3]
    assert "12345" in reasons[4]
    assert "网格" in reasons[5]
    assert "2021-13-45" in reasons[6]
    assert "06010" in reasons[7]
    assert Component.objects.count() == 0


def test_components_import_accepts_legacy_exchange_field_names(
    district: District, vector_file: Callable[..., Path]
) -> None:
    legacy = feature(
        point(*_inside(120, 120)),
        ObjID="37020201037000042", ObjName="路灯", DeptCode1="91350100M000100Y43",
        DeptName1="城管局", DeptCode2="12345678-X", DeptName2="权属单位", DeptCode3="",
        DeptName3="养护单位", BGID="370202001001001", ObjState="破损", ORDate="2019/03/04",
        CHDate="20240105", DataSource="地形图", Note="灯罩破损",
    )  # fmt: skip

    result = components_import(source=source_open(vector_file("legacy.shp", [legacy])))

    lamp = Component.objects.get()
    assert lamp.identifier == "37020201037000042"
    assert lamp.category.code == "01037"
    assert (lamp.supervising_unit_code, lamp.owner_unit_code) == ("91350100M000100Y43", "12345678X")
    assert (lamp.owner_unit_name, lamp.maintenance_unit_name) == ("权属单位", "养护单位")
    assert lamp.status == Component.Status.DAMAGED
    assert (str(lamp.survey_date), str(lamp.change_date)) == ("2019-03-04", "2024-01-05")
    assert lamp.data_source == Component.DataSource.MAP
    assert lamp.remarks == "灯罩破损"
    assert lamp.grid_code == "370202001001004"  # from the geometry, not from BGID
    assert "370202001001001" in result.warnings[0]


def test_components_import_maps_legacy_class_codes_through_the_table(
    district: District, vector_file: Callable[..., Path]
) -> None:
    path = vector_file(
        "legacy.geojson", [feature(point(*_inside(10, 10)), ObjID="3702020101000007")]
    )
    with pytest.raises(ImportFailed) as caught:
        components_import(source=source_open(path))
    assert caught.value.problems[0].reason.startswith("旧版部件编码 0101")
    services.legacy_code_map(
        kind="component",
        code="0101",
        category=selectors.category_get(kind="component", code="01001"),
    )

    components_import(source=source_open(path))

    component = Component.objects.get()
    assert (component.identifier, component.category.code) == ("3702020101000007", "01001")


def test_components_import_with_update_changes_existing_rows(
    district: District, vector_file: Callable[..., Path]
) -> None:
    first = feature(point(*_inside(10, 10)), identifier="37020201001000001", status="完好")
    again = feature(point(*_inside(110, 10)), identifier="37020201001000001", status="丢失")
    components_import(source=source_open(vector_file("a.geojson", [first])))
    with pytest.raises(ImportFailed):
        components_import(source=source_open(vector_file("b.geojson", [again])))

    result = components_import(source=source_open(vector_file("c.geojson", [again])), update=True)

    component = Component.objects.get()
    assert (result.created, result.updated) == (0, 1)
    assert component.status == Component.Status.MISSING
    assert component.grid_code == "370202001001002"


def test_components_import_dry_run_writes_nothing(
    district: District, vector_file: Callable[..., Path]
) -> None:
    result = components_import(source=source_open(vector_file("a.geojson", GOOD)), dry_run=True)

    assert result.dry_run and result.created == 2
    assert Component.objects.count() == 0


def test_components_import_continues_numbering_after_existing_serials(
    district: District, vector_file: Callable[..., Path]
) -> None:
    rows = [
        feature(point(*_inside(10, 10)), category="01001"),
        feature(point(*_inside(20, 10)), identifier="37020201001000010"),
        feature(point(*_inside(30, 10)), category="01001"),
    ]
    components_import(source=source_open(vector_file("a.geojson", rows)))

    lon, lat = _inside(40, 10)
    services.component_create(
        category=selectors.category_get(kind="component", code="01001"),
        geometry=make_point(lon=lon, lat=lat),
    )

    assert sorted(Component.objects.values_list("identifier", flat=True)) == [
        "37020201001000010", "37020201001000011", "37020201001000012", "37020201001000013",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("srid", "project"),
    [
        # CGCS2000 3-degree Gauss–Krüger zone 40 (zone number in the easting) and CM 120E
        (4528, lambda lon, lat: gauss_kruger(lon, lat, central_meridian=120, false_easting=40.5e6)),
        (4549, lambda lon, lat: gauss_kruger(lon, lat, central_meridian=120, false_easting=5e5)),
        (3857, web_mercator),
        (4490, lambda lon, lat: (lon, lat)),
    ],
)  # fmt: skip
def test_components_import_transforms_the_source_crs_to_within_a_metre(
    district: District, vector_file: Callable[..., Path], srid: int, project: Callable
) -> None:
    lon, lat = _inside(130, 70)
    x, y = project(lon, lat)
    path = vector_file(f"crs{srid}.geojson", [feature(point(x, y), category="01001")], crs=srid)

    components_import(source=source_open(path))

    component = Component.objects.get()
    assert _distance_m(component, lon, lat) < 1.0
    assert component.grid.code == "370202001001002"


def test_source_open_needs_srid_for_a_csv_and_refuses_a_conflicting_one(
    district: District, vector_file: Callable[..., Path]
) -> None:
    csv_path = vector_file("p.csv", GOOD)
    gk_path = vector_file("gk.geojson", GOOD, crs=4528)

    with pytest.raises(ValidationFailed) as missing:
        source_open(csv_path)
    with pytest.raises(ValidationFailed) as conflict:
        source_open(gk_path, srid=4326)

    assert missing.value.code == "srid_required"
    assert conflict.value.code == "srid_conflict"


def test_components_import_reads_a_gbk_shapefile_without_cpg(
    district: District, vector_file: Callable[..., Path]
) -> None:
    path = vector_file("gbk.shp", [GOOD[0]], **{"-lco": "ENCODING=CP936"})
    path.with_suffix(".cpg").unlink(missing_ok=True)

    components_import(source=source_open(path, encoding="CP936"))

    assert Component.objects.get().name == "井盖甲"


def _square(west_m: float, north_m: float, size_m: float) -> dict:
    (w, n), (e, s) = _inside(west_m, north_m), _inside(west_m + size_m, north_m + size_m)
    return {"type": "Polygon", "coordinates": [[[w, n], [e, n], [e, s], [w, s], [w, n]]]}


def test_areas_import_builds_the_hierarchy_from_one_file(
    directory: int, vector_file: Callable[..., Path]
) -> None:
    rows = [
        feature(_square(0, 0, 200), XZQDM="370202001001", XZQMC="第一社区"),
        feature(_square(0, 0, 400), XZQDM="370202", XZQMC="市南区"),
        feature(_square(0, 0, 300), XZQDM="370202001", XZQMC="八大关街道"),
    ]

    result = areas_import(source=source_open(vector_file("areas.gpkg", rows)))

    assert result.created == 3
    community = Area.objects.get(code="370202001001")
    assert community.parent.code == "370202001" and community.parent.parent.code == "370202"


def test_areas_import_reports_bad_codes_orphans_and_bad_shapes(
    directory: int, vector_file: Callable[..., Path]
) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[120, 36], [120.01, 36.01], [120.01, 36], [120, 36.01], [120, 36]]],
    }
    rows = [
        feature(_square(0, 0, 400), code="370202", name="市南区"),
        feature(_square(0, 0, 100), code="37020", name="坏编码"),
        feature(_square(0, 0, 100), code="370203001", name="孤儿街道"),
        feature(bowtie, code="370202002", name="自相交"),
        feature(point(120.3, 36.0), code="370202003", name="点"),
    ]  # fmt: skip

    with pytest.raises(ImportFailed) as caught:
        areas_import(source=source_open(vector_file("areas.geojson", rows)))

    assert [p.index for p in caught.value.problems] == [2, 3, 4, 5]
    assert Area.objects.count() == 0


def test_grids_import_measures_links_and_replaces_versions(
    district: District, vector_file: Callable[..., Path]
) -> None:
    rows = [feature(_square(0, 0, 50), BGID="370202001001001", grade="一级")]
    with pytest.raises(ImportFailed) as caught:
        grids_import(source=source_open(vector_file("g1.shp", rows)))
    assert "--replace" in caught.value.problems[0].reason

    result = grids_import(source=source_open(vector_file("g2.shp", rows)), replace=True)

    current = selectors.grid_by_code(code="370202001001001")
    assert (result.created, result.updated) == (1, 1)
    assert current.area_m2 == pytest.approx(2_500, rel=1e-3)
    assert current.grade == Grid.Grade.FIRST
    assert Grid.objects.filter(code="370202001001001").count() == 2


def test_grids_import_reports_unknown_communities_and_duplicates(
    district: District, vector_file: Callable[..., Path]
) -> None:
    rows = [
        feature(_square(0, 0, 50), code="370202001003001"),
        feature(_square(0, 0, 50), code="370202001001009"),
        feature(_square(0, 0, 50), code="370202001001009"),
    ]

    with pytest.raises(ImportFailed) as caught:
        grids_import(source=source_open(vector_file("g.geojson", rows)))

    reasons = {p.index: p.reason for p in caught.value.problems}
    assert sorted(reasons) == [1, 3]
    assert "370202001003" in reasons[1] and "第 2 个" in reasons[3]

"""Component vector tiles: cluster tiles read from the precomputed cells agree with binning the
components, every write path changes the tiles it touches at once, the cache and the ETags
never serve a stale tile, and a tile costs a bounded number of queries and rows."""

from __future__ import annotations

import io
import json
import math
from typing import Any

import mapbox_vector_tile
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from gridcity.geo import make_point
from grids import demo, services, tiles
from grids.io.source import MemorySource
from grids.models import (
    Category,
    Component,
    ComponentCluster,
    ComponentClusterCategory,
    Grid,
)
from grids.services.imports import components_import
from tests.factories.grids import ORIGIN, ComponentFactory, District

SCALE = 0.02  # one street, one community, ~40 grids, 2,000 components
# A point inside make_district's first grid, and one 1.5 km east of it (another z16 tile).
INSIDE = (ORIGIN[0] + 0.0003, ORIGIN[1] - 0.0003)
FAR = (ORIGIN[0] + 0.0166, ORIGIN[1] - 0.0003)
POINTS_ZOOM, CLUSTERS_ZOOM = 16, 13


@pytest.fixture
def city(directory: int) -> str:
    return demo.seed(scale=SCALE, stdout=io.StringIO())


@pytest.fixture
def manhole(directory: int) -> Category:
    return Category.objects.get(kind=Category.Kind.COMPONENT, code="01001")


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def _url(z: int, x: int, y: int) -> str:
    return f"/api/v1/tiles/components/{z}/{x}/{y}.mvt"


def _features(body: bytes) -> list[dict[str, Any]]:
    layers = mapbox_vector_tile.decode(body) if body else {}
    return layers["components"]["features"] if "components" in layers else []


def _identifiers(api: APIClient, lon: float, lat: float) -> set[str]:
    response = api.get(_url(*_tile_of(lon, lat, POINTS_ZOOM)))
    return {f["properties"]["identifier"] for f in _features(response.content)}


def _clustered(api: APIClient, lon: float, lat: float) -> int:
    response = api.get(_url(*_tile_of(lon, lat, CLUSTERS_ZOOM)))
    return sum(f["properties"]["count"] for f in _features(response.content))


def _binned_live(z: int, x: int, y: int) -> list[dict[str, Any]]:
    """The clusters as the tiles computed them before the cells were stored."""
    pixels = settings.GRIDCITY_TILE_CLUSTER_PIXELS
    params = {"z": z, "x": x, "y": y, "margin": 0}
    params["cell"] = tiles.WEB_MERCATOR_WIDTH / 2**z * pixels / 512
    with connection.cursor() as cursor:
        cursor.execute(tiles.CLUSTERS_LIVE_SQL, params)
        return _features(bytes(cursor.fetchone()[0] or b""))


def _key(feature: dict[str, Any]) -> str:
    return json.dumps([feature["geometry"], feature["properties"]], sort_keys=True)


def _cells() -> dict[tuple[int, int, int], tuple[int, int | None, float, float]]:
    return {
        (c.level, c.cell_x, c.cell_y): (c.count, c.category_id, c.sum_x, c.sum_y)
        for c in ComponentCluster.objects.all()
    }


def _category_counts() -> set[tuple[int, int, int, int, int]]:
    return set(
        ComponentClusterCategory.objects.values_list(
            "level", "cell_x", "cell_y", "category_id", "count"
        )
    )


def test_cluster_tiles_hold_what_binning_every_component_gives(city: str) -> None:
    compared = 0
    for z in (11, 12, 13, 14, 15):
        _, cx, cy = _tile_of(*demo.CENTRE, z)
        for x, y in [(cx + dx, cy + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]:
            stored = {_key(f): f for f in _features(tiles.components_tile(z=z, x=x, y=y))}
            live = {_key(f): f for f in _binned_live(z, x, y)}

            assert stored.keys() <= live.keys()
            # Binning live also drew slivers of the neighbours' cells onto the tile's edges
            # (their members inside the index's float32 bounding box); the cells do not.
            extra = [live[k]["geometry"]["coordinates"] for k in live.keys() - stored.keys()]
            assert all({0, tiles.EXTENT} & set(xy) for xy in extra)
            compared += len(stored)
    assert compared > 100


def test_cells_after_every_kind_of_write_equal_a_recount(
    district: District, manhole: Category
) -> None:
    made = [
        ComponentFactory(category=manhole, geometry=make_point(lon=lon, lat=lat))
        for lon, lat in (INSIDE, FAR, (ORIGIN[0] + 0.001, ORIGIN[1] - 0.001))
    ]
    services.component_update(
        component=made[0],
        changes={"geometry": make_point(lon=FAR[0], lat=FAR[1])},
        allow_outside=True,
    )
    # The services refuse a new category for a 17-digit identifier; a bulk update does not.
    Component.objects.filter(pk=made[1].pk).update(
        category=Category.objects.get(kind=Category.Kind.COMPONENT, code="01002")
    )
    Component.objects.filter(pk=made[2].pk).delete()
    components_import(
        source=MemorySource([({}, f"POINT({INSIDE[0]} {INSIDE[1]})")] * 3, fields=[]),
        category=manhole,
    )
    after_writes, counts_after_writes = _cells(), _category_counts()

    with connection.cursor() as cursor:
        cursor.execute("SELECT grids_component_clusters_rebuild()")
    recounted = _cells()

    assert after_writes.keys() == recounted.keys()
    for cell, (count, category, sum_x, sum_y) in recounted.items():
        assert after_writes[cell][:2] == (count, category)
        assert after_writes[cell][2:] == pytest.approx((sum_x, sum_y), abs=1e-3)
    assert counts_after_writes == _category_counts()
    assert {count for (level, _, _), (count, *_) in recounted.items() if level == 0} == {5}


def test_creating_a_component_shows_it_in_the_tiles_at_once(
    district: District, manhole: Category, api: APIClient
) -> None:
    ComponentFactory(category=manhole, geometry=make_point(lon=INSIDE[0], lat=INSIDE[1]))
    before, clustered = _identifiers(api, *INSIDE), _clustered(api, *INSIDE)

    new = services.component_create(
        category=manhole, geometry=make_point(lon=INSIDE[0] + 0.0001, lat=INSIDE[1])
    )

    assert _identifiers(api, *INSIDE) == before | {new.identifier}
    assert _clustered(api, *INSIDE) == clustered + 1


def test_moving_a_component_moves_it_between_tiles(
    district: District, manhole: Category, api: APIClient
) -> None:
    component = ComponentFactory(
        category=manhole, geometry=make_point(lon=INSIDE[0], lat=INSIDE[1])
    )
    assert _identifiers(api, *INSIDE) == {component.identifier}
    assert _identifiers(api, *FAR) == set()

    services.component_update(
        component=component,
        changes={"geometry": make_point(lon=FAR[0], lat=FAR[1])},
        allow_outside=True,
    )

    assert _identifiers(api, *INSIDE) == set()
    assert _identifiers(api, *FAR) == {component.identifier}


def test_a_status_change_redraws_the_point_tile(
    district: District, manhole: Category, api: APIClient
) -> None:
    component = ComponentFactory(
        category=manhole, geometry=make_point(lon=INSIDE[0], lat=INSIDE[1])
    )
    tile = _url(*_tile_of(*INSIDE, POINTS_ZOOM))
    assert _features(api.get(tile).content)[0]["properties"]["status"] == "intact"

    services.component_update(component=component, changes={"status": "damaged"})

    assert _features(api.get(tile).content)[0]["properties"]["status"] == "damaged"


def test_deleting_components_empties_their_clusters(
    district: District, manhole: Category, api: APIClient
) -> None:
    for step in range(3):
        ComponentFactory(
            category=manhole, geometry=make_point(lon=INSIDE[0] + step * 1e-4, lat=INSIDE[1])
        )
    assert _clustered(api, *INSIDE) == 3

    Component.objects.all().delete()

    assert _clustered(api, *INSIDE) == 0
    assert not ComponentCluster.objects.exists()


def test_importing_components_shows_them_in_the_tiles_at_once(
    district: District, manhole: Category, api: APIClient
) -> None:
    assert _clustered(api, *INSIDE) == 0
    rows = [({}, f"POINT({INSIDE[0] + i * 1e-5} {INSIDE[1]})") for i in range(25)]

    result = components_import(source=MemorySource(rows, fields=[]), category=manhole)

    assert result.created == 25
    assert _clustered(api, *INSIDE) == 25
    assert len(_identifiers(api, *INSIDE)) == 25


def test_renaming_a_category_redraws_the_component_tiles(
    district: District, api: APIClient
) -> None:
    local = services.category_local_add(kind="component", code="01080", name="智能井盖")
    ComponentFactory(category=local, geometry=make_point(lon=INSIDE[0], lat=INSIDE[1]))
    tile = _url(*_tile_of(*INSIDE, POINTS_ZOOM))
    assert _features(api.get(tile).content)[0]["properties"]["category_name"] == "智能井盖"

    services.category_update(category=local, name="智能检查井盖")

    assert _features(api.get(tile).content)[0]["properties"]["category_name"] == "智能检查井盖"


def test_replacing_a_grid_keeps_the_cached_tiles(
    district: District, manhole: Category, api: APIClient
) -> None:
    ComponentFactory(category=manhole, geometry=make_point(lon=INSIDE[0], lat=INSIDE[1]))
    etag = api.get(_url(*_tile_of(*INSIDE, POINTS_ZOOM)))["ETag"]

    # Re-placing components in the new grid version changes nothing a tile draws.
    services.grid_retire_and_replace(grid=district.grids[0], grade=Grid.Grade.FIRST)

    assert api.get(_url(*_tile_of(*INSIDE, POINTS_ZOOM)))["ETag"] == etag


def test_cached_and_freshly_rendered_tiles_are_the_same_bytes(city: str, api: APIClient) -> None:
    for z in (12, 14, 16, 18):
        z, x, y = _tile_of(*demo.CENTRE, z)

        first = api.get(_url(z, x, y)).content
        second = api.get(_url(z, x, y)).content

        assert first == second == tiles.components_tile(z=z, x=x, y=y)
        assert _features(first)


def test_an_unchanged_tile_answers_not_modified_and_a_changed_one_does_not(
    district: District, manhole: Category, api: APIClient
) -> None:
    ComponentFactory(category=manhole, geometry=make_point(lon=INSIDE[0], lat=INSIDE[1]))
    url = _url(*_tile_of(*INSIDE, POINTS_ZOOM))
    first = api.get(url)
    assert first["Cache-Control"] == "private, max-age=60"

    again = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content

    ComponentFactory(category=manhole, geometry=make_point(lon=INSIDE[0], lat=INSIDE[1] - 1e-4))
    changed = api.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert len(_features(changed.content)) == 2


def _statements(api: APIClient, url: str, **headers: str) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url, **headers)
    # Savepoints are the test's own transaction showing through the tile's.
    sql = [q["sql"] for q in captured.captured_queries]
    return response, [q for q in sql if not q.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_a_tile_costs_one_statement_once_rendered(city: str, api: APIClient) -> None:
    for z in (12, 16):
        url = _url(*_tile_of(*demo.CENTRE, z))

        first, rendered = _statements(api, url)
        cached = _statements(api, url)[1]
        not_modified, revalidated = _statements(api, url, HTTP_IF_NONE_MATCH=first["ETag"])

        assert len(rendered) == 3  # the data version, set_config (no parallel workers), the tile
        assert "grids_tileversion" in rendered[0] and "ST_AsMVT" in rendered[2]
        assert cached == revalidated == rendered[:1]
        assert not_modified.status_code == 304


def test_a_cluster_tile_reads_only_the_cells_under_it(city: str) -> None:
    z, x, y = _tile_of(*demo.CENTRE, 13)
    cell = tiles.WEB_MERCATOR_WIDTH / 2**z * settings.GRIDCITY_TILE_CLUSTER_PIXELS / 512
    params = {"z": z, "x": x, "y": y, "margin": 0, "cell": cell}
    with connection.cursor() as cursor:
        # The demo's tables are small enough for a sequential scan; ask whether the tile is
        # a key range of the cells' index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + tiles.CLUSTERS_SQL, params)
        plan = cursor.fetchone()[0]

    scans = []

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            scans.append(node)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    assert {s["Relation Name"] for s in scans} == {"grids_componentcluster", "grids_category"}
    cells = next(s for s in scans if s["Relation Name"] == "grids_componentcluster")
    assert cells["Node Type"] == "Index Scan" and "cell_y" in cells["Index Cond"]
    assert 0 < cells["Actual Rows"] <= (512 // settings.GRIDCITY_TILE_CLUSTER_PIXELS) ** 2


def test_cells_that_are_not_a_stored_level_are_binned_live(
    city: str, api: APIClient, settings: Any
) -> None:
    settings.GRIDCITY_TILE_CLUSTER_PIXELS = 48  # not a power-of-two fraction of the tile

    counts = [
        f["properties"]["count"]
        for f in _features(api.get(_url(*_tile_of(*demo.CENTRE, 11))).content)
    ]

    assert sum(counts) == Component.objects.count()

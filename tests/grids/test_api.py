"""The read-only API on the demo city: GeoJSON lists with filters and pagination, vector tiles."""

from __future__ import annotations

import datetime as dt
import io
import math

import mapbox_vector_tile
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from grids import demo, services
from grids.models import Component, Grid
from tests.factories.grids import District

SCALE = 0.02  # one street, one community, ~40 grids, 2,000 components


@pytest.fixture
def city(directory: int) -> str:
    return demo.seed(scale=SCALE, stdout=io.StringIO())


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return z, x, y


def test_api_requires_an_authenticated_user(city: str) -> None:
    response = APIClient().get("/api/v1/grids/")

    assert response.status_code in (401, 403)


def test_grids_api_returns_the_demo_grids_as_a_feature_collection(
    city: str, api: APIClient
) -> None:
    response = api.get("/api/v1/grids/", {"page_size": 10})

    body = response.json()
    assert response.status_code == 200
    assert body["type"] == "FeatureCollection"
    assert body["count"] == Grid.objects.current().count() > 10
    assert len(body["features"]) == 10 and body["next"]
    first = body["features"][0]
    assert first["geometry"]["type"] == "MultiPolygon"
    assert first["properties"]["code"].startswith("370202001001")
    assert 3_000 <= first["properties"]["area_m2"] <= 20_000


def test_grids_api_filters_by_bbox(city: str, api: APIClient) -> None:
    grid = Grid.objects.current().order_by("code").first()
    west, south, east, north = grid.boundary.extent
    inner = (west + (east - west) / 3, south + (north - south) / 3)

    response = api.get(
        "/api/v1/grids/", {"bbox": f"{inner[0]},{inner[1]},{inner[0] + 1e-6},{inner[1] + 1e-6}"}
    )

    assert [f["properties"]["code"] for f in response.json()["features"]] == [grid.code]


def test_grids_api_rejects_a_malformed_bbox(city: str, api: APIClient) -> None:
    response = api.get("/api/v1/grids/", {"bbox": "1,2,3"})

    assert response.status_code == 400
    # The same words as the dispatch map's refusal: one parser says it for both.
    assert response.json()["details"] == {
        "bbox": "范围 bbox 应为 4 个以逗号分隔的数字：西,南,东,北。"
    }


def test_components_api_filters_by_category_and_reports_labels(city: str, api: APIClient) -> None:
    expected = Component.objects.filter(category__code="04002").count()

    response = api.get("/api/v1/components/", {"category": "04002", "page_size": 5})

    body = response.json()
    assert body["count"] == expected > 0
    properties = body["features"][0]["properties"]
    assert properties["category_code"] == "04002" and properties["category_name"] == "行道树"
    assert properties["identifier"].startswith("37020204002")
    assert properties["status_label"] in {"完好", "破损", "丢失", "废弃", "移除"}


def test_components_api_near_orders_by_distance(city: str, api: APIClient) -> None:
    centre = Component.objects.order_by("pk").first().geometry.centroid

    response = api.get("/api/v1/components/", {"near": f"{centre.x},{centre.y},80"})

    distances = [f["properties"]["distance_m"] for f in response.json()["features"]]
    assert distances and distances == sorted(distances) and distances[-1] <= 80


def test_categories_api_lists_the_directory(city: str, api: APIClient) -> None:
    response = api.get("/api/v1/categories/", {"kind": "matter", "major": "06", "q": "垃圾"})

    names = {c["name"] for c in response.json()["results"]}
    assert "暴露垃圾" in names and all("垃圾" in n for n in names)


def test_areas_api_lists_the_hierarchy(city: str, api: APIClient) -> None:
    response = api.get("/api/v1/areas/", {"within": "370202", "level": "community"})

    features = response.json()["features"]
    assert len(features) == 1
    assert features[0]["properties"]["parent_code"] == "370202001"


def test_grid_tile_decodes_to_the_grids_it_covers(city: str, api: APIClient) -> None:
    z, x, y = _tile_of(*demo.CENTRE, 15)

    response = api.get(f"/api/v1/tiles/grids/{z}/{x}/{y}.mvt")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    layers = mapbox_vector_tile.decode(response.content)
    codes = {f["properties"]["code"] for f in layers["grids"]["features"]}
    assert codes and all(c.startswith("370202001001") for c in codes)


def test_component_tiles_are_points_up_close_and_clusters_far_away(
    city: str, api: APIClient
) -> None:
    close = _tile_of(*demo.CENTRE, 17)
    far = _tile_of(*demo.CENTRE, 11)

    near_layer = mapbox_vector_tile.decode(
        api.get("/api/v1/tiles/components/{}/{}/{}.mvt".format(*close)).content
    )["components"]
    far_layer = mapbox_vector_tile.decode(
        api.get("/api/v1/tiles/components/{}/{}/{}.mvt".format(*far)).content
    )["components"]

    assert near_layer["features"] and "identifier" in near_layer["features"][0]["properties"]
    counts = [f["properties"]["count"] for f in far_layer["features"]]
    assert sum(counts) == Component.objects.count()
    assert len(counts) < Component.objects.count() / 4


def test_tile_outside_the_zoom_range_is_not_found(city: str, api: APIClient) -> None:
    assert api.get("/api/v1/tiles/grids/3/8/0.mvt").status_code == 404


def test_grids_api_shows_versions_on_request(district: District, api: APIClient) -> None:
    old = district.grids[0]
    new = services.grid_retire_and_replace(grid=old, grade=Grid.Grade.FIRST)
    last_week = (timezone.localdate() - dt.timedelta(days=7)).isoformat()

    def ids(**params: str) -> list[int]:
        response = api.get("/api/v1/grids/", {"code": old.code, **params})
        return sorted(f["id"] for f in response.json()["features"])

    assert ids() == [new.pk]
    assert ids(on=last_week) == [old.pk]
    assert ids(include_retired="true") == sorted([old.pk, new.pk])

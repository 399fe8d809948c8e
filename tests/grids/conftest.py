"""Fixtures of the city-model tests: the directory (re-loaded after transactional flushes), a
small district, a logged-in API client, and helpers writing vector files with ogr2ogr."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from grids.services import category_directory_load
from tests.factories.grids import District, make_district


@pytest.fixture
def directory(db: None) -> int:
    """The national directory; idempotent, so also right after a transactional test's flush."""
    return category_directory_load()


@pytest.fixture
def district(directory: int) -> District:
    """370202 with one street, two communities side by side, each 2 × 2 grids of 100 m."""
    return make_district()


@pytest.fixture
def user(db: None) -> Any:
    return get_user_model().objects.create_user(username="gis", password="pw-for-tests-only")


@pytest.fixture
def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


@pytest.fixture
def vector_file(tmp_path: Path) -> Callable[..., Path]:
    """Write features as GeoJSON, then convert with ogr2ogr to the format of `name`'s extension
    (.geojson is kept as written). `crs` is the EPSG code the coordinates are in."""

    def write(
        name: str, features: list[dict[str, Any]], *, crs: int | None = 4326, **options: str
    ) -> Path:
        source = tmp_path / f"src-{name}.geojson"
        collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
        if crs is not None and crs != 4326:
            collection["crs"] = {"type": "name", "properties": {"name": f"EPSG:{crs}"}}
        source.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
        target = tmp_path / name
        if target.suffix == ".geojson":
            source.rename(target)
            return target
        command = ["ogr2ogr", str(target), str(source)]
        if target.suffix == ".csv":
            command += ["-lco", "GEOMETRY=AS_XY"]
        if target.suffix == ".shp" and "-lco" not in options:
            command += ["-lco", "ENCODING=UTF-8"]
        for key, value in options.items():
            command += [key, value]
        subprocess.run(command, check=True, capture_output=True)  # noqa: S603
        return target

    return write

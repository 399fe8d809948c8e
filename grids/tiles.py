"""Mapbox vector tiles of the city model, built by PostGIS (ST_TileEnvelope, ST_AsMVTGeom,
ST_AsMVT). Tiles stay small at every zoom: below a zoom, grids give way to community outlines
and components to clusters with counts, and a feature cap bounds the worst tile."""

# SQL here is composed only from module constants (table and column names); every value is a
# bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.utils import timezone

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 24
WEB_MERCATOR_WIDTH = 40_075_016.685578488


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def tile_exists(*, z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < 2**z and 0 <= y < 2**z


# The envelope is compared in WGS84 so the GiST index on the stored geometries serves the &&;
# a Web Mercator rectangle is also a rectangle in longitude/latitude.
BOUNDS = """
bounds AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env,
           ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s), 4326) AS geo)
"""

GRIDS_SQL = f"""
WITH {BOUNDS},
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(g.boundary, 3857), bounds.env, {EXTENT}, {BUFFER}, true)
               AS geom,
           g.id, g.code, g.grade, round(g.area_m2) AS area_m2, cm.code AS community_code,
           cm.name AS community_name
      FROM grids_grid g JOIN grids_area cm ON cm.id = g.community_id, bounds
     WHERE g.boundary && bounds.geo
       AND g.valid_from <= %(day)s AND (g.valid_to IS NULL OR g.valid_to > %(day)s)
     LIMIT %(limit)s)
SELECT ST_AsMVT(features.*, 'grids', {EXTENT}, 'geom') FROM features WHERE geom IS NOT NULL
"""

COMMUNITIES_SQL = f"""
WITH {BOUNDS},
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(a.boundary, 3857), bounds.env, {EXTENT}, {BUFFER}, true)
               AS geom,
           a.id, a.code, a.name,
           (SELECT count(*) FROM grids_grid g
             WHERE g.community_id = a.id AND g.valid_from <= %(day)s
               AND (g.valid_to IS NULL OR g.valid_to > %(day)s)) AS grids
      FROM grids_area a, bounds
     WHERE a.level = 'community' AND a.boundary && bounds.geo
     LIMIT %(limit)s)
SELECT ST_AsMVT(features.*, 'communities', {EXTENT}, 'geom') FROM features WHERE geom IS NOT NULL
"""

COMPONENTS_SQL = f"""
WITH {BOUNDS},
features AS (
    SELECT ST_AsMVTGeom(ST_Transform(c.geometry, 3857), bounds.env, {EXTENT}, {BUFFER}, true)
               AS geom,
           c.id, c.identifier, k.code AS category, k.name AS category_name, c.status
      FROM grids_component c JOIN grids_category k ON k.id = c.category_id, bounds
     WHERE c.geometry && bounds.geo
     LIMIT %(limit)s)
SELECT ST_AsMVT(features.*, 'components', {EXTENT}, 'geom') FROM features WHERE geom IS NOT NULL
"""

# Clusters: components binned into square cells of %(cell)s Web Mercator metres; each cluster
# sits at the mean position of its members and carries their count and commonest category.
CLUSTERS_SQL = f"""
WITH {BOUNDS},
points AS (
    SELECT ST_Transform(ST_PointOnSurface(c.geometry), 3857) AS p, c.category_id
      FROM grids_component c, bounds
     WHERE c.geometry && bounds.geo),
bins AS (
    SELECT ST_SetSRID(ST_MakePoint(avg(ST_X(p)), avg(ST_Y(p))), 3857) AS centre,
           count(*) AS count, mode() WITHIN GROUP (ORDER BY category_id) AS category_id
      FROM points
     GROUP BY floor(ST_X(p) / %(cell)s), floor(ST_Y(p) / %(cell)s)),
features AS (
    SELECT ST_AsMVTGeom(bins.centre, bounds.env, {EXTENT}, 0, true) AS geom,
           bins.count, k.code AS category
      FROM bins JOIN grids_category k ON k.id = bins.category_id, bounds)
SELECT ST_AsMVT(features.*, 'components', {EXTENT}, 'geom') FROM features WHERE geom IS NOT NULL
"""


def _tile(sql: str, **params: object) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


def grids_tile(*, z: int, x: int, y: int) -> bytes:
    """Grids in force from GRIDCITY_TILE_GRID_MIN_ZOOM on; community outlines below it."""
    params = {
        "z": z,
        "x": x,
        "y": y,
        "margin": BUFFER / EXTENT,
        "day": timezone.localdate(),
        "limit": _setting("GRIDCITY_TILE_MAX_FEATURES", 20_000),
    }
    if z < _setting("GRIDCITY_TILE_GRID_MIN_ZOOM", 12):
        return _tile(COMMUNITIES_SQL, **params)
    return _tile(GRIDS_SQL, **params)


def components_tile(*, z: int, x: int, y: int) -> bytes:
    """Components one by one from GRIDCITY_TILE_COMPONENT_MIN_ZOOM on; clusters below it."""
    params = {
        "z": z,
        "x": x,
        "y": y,
        "margin": BUFFER / EXTENT,
        "limit": _setting("GRIDCITY_TILE_MAX_FEATURES", 20_000),
    }
    if z < _setting("GRIDCITY_TILE_COMPONENT_MIN_ZOOM", 16):
        pixels = _setting("GRIDCITY_TILE_CLUSTER_PIXELS", 32)
        # pixels of a 512-pixel tile as Mapbox GL draws it; cells align with tile edges
        params["cell"] = WEB_MERCATOR_WIDTH / 2**z * pixels / 512
        params["margin"] = 0
        return _tile(CLUSTERS_SQL, **params)
    return _tile(COMPONENTS_SQL, **params)


LAYERS: dict[str, Callable[..., bytes]] = {"grids": grids_tile, "components": components_tile}

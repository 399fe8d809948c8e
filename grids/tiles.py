"""Mapbox vector tiles of the city model, built by PostGIS (ST_TileEnvelope, ST_AsMVTGeom,
ST_AsMVT). Tiles stay small at every zoom: below a zoom, grids give way to community outlines
and components to clusters with counts, and a feature cap bounds the worst tile. Cluster tiles
read precomputed cells (grids_componentcluster), and component tiles are cached under the
version of their data (grids_tileversion), both kept by the triggers of migration 0005."""

# SQL here is composed only from module constants (table and column names); every value is a
# bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

MVT_CONTENT_TYPE = "application/vnd.mapbox-vector-tile"
EXTENT = 4096
BUFFER = 64
MAX_ZOOM = 24
WEB_MERCATOR_WIDTH = 40_075_016.685578488
# Levels of grids_componentcluster: cells 2^-level of the world wide, 0 to 19 (76 m, the
# clusters of zoom 15 at 32 pixels). Fixed by migration 0005.
CLUSTER_LEVELS = range(20)
# Bumped whenever the SQL below changes what a tile holds, so cached tiles of the old code
# are not served by the new.
TILE_FORMAT = 1


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
#
# CLUSTERS_SQL reads the cells from grids_componentcluster, whose level is the one where a cell
# is %(cell)s wide (W / 2^level). Cells align with tile edges, 2^(level - z) of them across a
# tile, so a tile is a key range of the primary key. It takes the parameters of
# CLUSTERS_LIVE_SQL, which bins the components themselves: the answer whenever the cells are
# not a stored level (see _cluster_level), and the reference the tests hold the cells to.
CLUSTERS_SQL = f"""
WITH tile AS (
    SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS env, level,
           %(x)s * side - half AS x0, (%(x)s + 1) * side - half - 1 AS x1,
           half - (%(y)s + 1) * side AS y0, half - %(y)s * side - 1 AS y1
      FROM (SELECT level, 1 << (level - %(z)s) AS side, 1 << (level - 1) AS half
              FROM (SELECT round(ln({WEB_MERCATOR_WIDTH} / %(cell)s) / ln(2))::integer AS level)
                   AS l) AS t),
features AS (
    SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(c.sum_x / c.count, c.sum_y / c.count), 3857),
                        tile.env, {EXTENT}, 0, true) AS geom,
           c.count::bigint AS count, k.code AS category
      FROM tile
      JOIN grids_componentcluster c
        ON c.level = tile.level AND c.cell_x BETWEEN tile.x0 AND tile.x1
       AND c.cell_y BETWEEN tile.y0 AND tile.y1
      JOIN grids_category k ON k.id = c.category_id)
SELECT ST_AsMVT(features.*, 'components', {EXTENT}, 'geom') FROM features WHERE geom IS NOT NULL
"""

CLUSTERS_LIVE_SQL = f"""
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
    # PostGIS prices its functions so high that PostgreSQL would hand a tile's scan to parallel
    # workers, which add their start-up (and PROJ's, in each new process) for rows the leader
    # reads anyway; JIT compilation, the other cost of such statements, is off for every
    # connection (settings: DATABASE_SESSION_OPTIONS). Without both, a z16 tile of 2,900
    # components went from 240 to 27 ms (p50).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('max_parallel_workers_per_gather', '0', true)")
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


def _cluster_level(*, z: int, pixels: int) -> int | None:
    """The stored cell level of zoom z's clusters, or None when its cells are not one: a cell
    must be a power-of-two fraction (1/2 or less) of a 512-pixel tile, to align with its edges."""
    across, rest = divmod(512, pixels) if pixels > 0 else (0, 1)
    if rest or across < 2 or across & (across - 1):
        return None
    level = z + across.bit_length() - 1
    return level if level in CLUSTER_LEVELS else None


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
        stored = _cluster_level(z=z, pixels=pixels) is not None
        return _tile(CLUSTERS_SQL if stored else CLUSTERS_LIVE_SQL, **params)
    return _tile(COMPONENTS_SQL, **params)


LAYERS: dict[str, Callable[..., bytes]] = {"grids": grids_tile, "components": components_tile}
# Layers whose data has a version in grids_tileversion (kept by the triggers of migration 0005).
VERSIONED_LAYERS = frozenset({"components"})


def tile_version(*, layer: str) -> str | None:
    """What a layer's tiles are cached under and validated by (the ETag): the version of the
    data they draw and the settings that shape them. None for a layer that has no version (the
    grids change with the date as well as with writes): its tiles are rendered every time."""
    if layer not in VERSIONED_LAYERS:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM grids_tileversion WHERE layer = %s", [layer])
        row = cursor.fetchone()
    if row is None:  # only if someone deleted the row; the next component write restores it
        return None
    shape = "-".join(
        str(_setting(name, default))
        for name, default in (
            ("GRIDCITY_TILE_COMPONENT_MIN_ZOOM", 16),
            ("GRIDCITY_TILE_CLUSTER_PIXELS", 32),
            ("GRIDCITY_TILE_MAX_FEATURES", 20_000),
        )
    )
    return f"{row[0].hex}-{TILE_FORMAT}-{shape}"


def tile_render(*, layer: str, z: int, x: int, y: int, version: str | None) -> bytes:
    """A tile's bytes: from Django's cache when the layer has a version, else rendered.

    Read the version before the tile (as the view does), never after: a tile rendered from data
    newer than its key's version is harmless, the other way round would be stale."""
    render = LAYERS[layer]
    if version is None:
        return render(z=z, x=x, y=y)
    key = f"tile:{layer}:{version}:{z}:{x}:{y}"
    body = cache.get(key)
    if body is None:
        body = render(z=z, x=x, y=y)
        # Keys of old versions are never read again; the timeout lets Redis drop them.
        cache.set(key, body, timeout=_setting("GRIDCITY_TILE_CACHE_SECONDS", 86_400))
    return body

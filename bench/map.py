"""Benchmark 3: the map over the full city — vector tiles of the million components at several
zooms (/api/v1/tiles/components/{z}/{x}/{y}.mvt; clusters below the component zoom), and the
command centre's map of open cases (/dispatch/map.geojson, the points its viewport draws).

Floors: the tile's own ST_AsMVT statement (grids.tiles) run through psycopg; the map's points
as one SELECT.

    python -m bench.map [--n 100]
"""

from __future__ import annotations

import argparse
import math

from bench import harness, reads

ZOOMS = (12, 14, 16, 18)
# The map's points, most urgent first: for the whole map (no box) and for one view of it.
POINTS_SQL = """
SELECT c.id, c.number, c.status, c.timer_colour, k.name, ST_X(c.location), ST_Y(c.location)
  FROM cases_case c JOIN grids_category k ON k.id = c.category_id
 WHERE c.status = %(status)s{box}
 ORDER BY c.step_deadline, c.reported_at DESC, c.id DESC LIMIT 2001
"""
MAP_SQL = POINTS_SQL.format(box="")
VIEW_SQL = POINTS_SQL.format(
    box="\n   AND c.location && ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s, 4326)"
)
# The map's view at zoom 16 on a 1,366-pixel-wide desk (the map is ~530 × 630 px), padded by
# a tenth on each side as the page asks for it: about 1.8 × 2.2 km at the demo city's latitude.
VIEW_PIXELS = (530 * 1.2, 630 * 1.2)


def view_degrees(lat: float, zoom: int = 16) -> tuple[float, float]:
    """Width and height in degrees of a VIEW_PIXELS view at ``zoom`` around latitude ``lat``
    (Web Mercator: a pixel spans cos(lat) times as many degrees of latitude as of longitude)."""
    per_pixel = 360 / 2**zoom / 256
    width, height = VIEW_PIXELS
    return width * per_pixel, height * per_pixel * math.cos(math.radians(lat))


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def tiles_around(lon: float, lat: float, z: int) -> list[tuple[int, int, int]]:
    x, y = tile_of(lon, lat, z)
    return [(z, x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100, help="requests per read")
    args = parser.parse_args()
    harness.setup()
    from django.conf import settings

    from grids import tiles

    with harness.floor_connection() as conn:
        lon, lat = conn.execute(
            "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geometry)) AS c"
            " FROM grids_component) s"
        ).fetchone()
        components = conn.execute("SELECT count(*) FROM grids_component").fetchone()[0]
    min_zoom = int(getattr(settings, "GRIDCITY_TILE_COMPONENT_MIN_ZOOM", 16))
    limit = int(getattr(settings, "GRIDCITY_TILE_MAX_FEATURES", 20_000))
    pixels = int(getattr(settings, "GRIDCITY_TILE_CLUSTER_PIXELS", 32))
    sizes: dict[int, int] = {}

    def tile_floor(z: int, where: list[tuple[int, int, int]]):
        def run(conn: object, i: int) -> None:
            zz, x, y = where[i % len(where)]
            params = {
                "z": zz,
                "x": x,
                "y": y,
                "margin": tiles.BUFFER / tiles.EXTENT,
                "limit": limit,
            }
            if zz < min_zoom:
                params["cell"] = tiles.WEB_MERCATOR_WIDTH / 2**zz * pixels / 512
                params["margin"] = 0
                sql = tiles.CLUSTERS_SQL
            else:
                sql = tiles.COMPONENTS_SQL
            row = conn.execute(sql, params).fetchone()
            sizes[zz] = max(sizes.get(zz, 0), len(row[0] or b""))

        return run

    read_list = []
    for z in ZOOMS:
        where = tiles_around(lon, lat, z)
        read_list.append(
            reads.Read(
                f"component tile z{z} ({'points' if z >= min_zoom else 'clusters'})",
                [f"/api/v1/tiles/components/{zz}/{x}/{y}.mvt" for zz, x, y in where],
                tile_floor(z, where),
            )
        )
    statuses = ("handling", "reported", "filed", "awaiting_reinspection")

    def map_floor(conn: object, i: int) -> None:
        conn.execute(MAP_SQL, {"status": statuses[i % len(statuses)]}).fetchall()

    read_list.append(
        reads.Read(
            "open-case map /dispatch/map.geojson",
            [f"/dispatch/map.geojson?queue=all&status={s}" for s in statuses],
            map_floor,
        )
    )
    # Views around the centre, one per tile of a 3 × 3 block at zoom 16.
    width, height = view_degrees(lat)
    views = [
        (lon + dx * width, lat + dy * height, lon + (dx + 1) * width, lat + (dy + 1) * height)
        for dx in (-1, 0, 1)
        for dy in (-1, 0, 1)
    ]

    def view_floor(conn: object, i: int) -> None:
        west, south, east, north = views[i % len(views)]
        conn.execute(
            VIEW_SQL,
            {
                "status": statuses[i % len(statuses)],
                "west": west,
                "south": south,
                "east": east,
                "north": north,
            },
        ).fetchall()

    read_list.append(
        reads.Read(
            "open-case map, one view (zoom 16) ?bbox",
            [
                f"/dispatch/map.geojson?queue=all&status={statuses[i % len(statuses)]}"
                f"&bbox={w:.5f},{s:.5f},{e:.5f},{n:.5f}"
                for i, (w, s, e, n) in enumerate(views * 4)
            ],
            view_floor,
        )
    )
    reads.run(
        "Map: component tiles and the case map",
        read_list,
        role="dispatcher",
        n=args.n,
        components=components,
        centre=f"{lon:.5f},{lat:.5f}",
        tile_bytes_max=sizes,
    )


if __name__ == "__main__":
    main()

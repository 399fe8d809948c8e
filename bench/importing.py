"""Benchmark 6: importing the component inventory from a GeoPackage with the grids app's own
command (`manage.py import_components FILE`): parse, check every feature, COPY to staging,
place each component in its grid, insert. The file is the city's own inventory, written once
by `manage.py export_components` (timed too). Every run happens inside a transaction that first
empties grids_component and is rolled back at the end, so the database is left as it was.

Floor: read the same file (SQLite) and COPY its rows through psycopg into a temporary table,
then ONE INSERT … SELECT that resolves the category and the grid (point-in-polygon).

    python -m bench.importing [--file var/bench/components.gpkg]
"""

from __future__ import annotations

import argparse
import io
import sqlite3
import time
from contextlib import redirect_stdout
from pathlib import Path

from bench import harness

ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}
TEXT_COLUMNS = (
    "identifier", "category", "name", "supervising_unit_code", "supervising_unit_name",
    "owner_unit_code", "owner_unit_name", "maintenance_unit_code", "maintenance_unit_name",
    "status", "survey_date", "change_date", "data_source", "remarks",
)  # fmt: skip
STATUS = {
    "完好": "intact",
    "破损": "damaged",
    "丢失": "missing",
    "废弃": "abandoned",
    "移除": "removed",
}
FLOOR_INSERT = """
INSERT INTO grids_component (identifier, name, supervising_unit_code, supervising_unit_name,
    owner_unit_code, owner_unit_name, maintenance_unit_code, maintenance_unit_name, grid_code,
    status, survey_date, change_date, data_source, remarks, street_code, street_name,
    community_code, community_name, geometry, category_id, grid_id)
SELECT s.identifier, s.name, s.supervising_unit_code, s.supervising_unit_name,
       s.owner_unit_code, s.owner_unit_name, s.maintenance_unit_code, s.maintenance_unit_name,
       coalesce(g.code, ''), s.status, s.survey_date, s.change_date, s.data_source, s.remarks,
       coalesce(st.code, ''), coalesce(st.name, ''), coalesce(cm.code, ''),
       coalesce(cm.name, ''), ST_SetSRID(s.geom, 4326), k.id, g.id
  FROM bench_stage s
  JOIN grids_category k ON k.kind = 'component' AND k.code = s.category
  LEFT JOIN LATERAL (
      SELECT gg.id, gg.code, gg.community_id FROM grids_grid gg
       WHERE gg.boundary && ST_SetSRID(s.geom, 4326)
         AND ST_Covers(gg.boundary, ST_PointOnSurface(ST_SetSRID(s.geom, 4326)))
         AND gg.valid_to IS NULL
       ORDER BY gg.id LIMIT 1) g ON true
  LEFT JOIN grids_area cm ON cm.id = g.community_id
  LEFT JOIN grids_area st ON st.id = cm.parent_id
"""


def gpkg_rows(path: Path):
    """(text columns…, WKB) of every feature: a GeoPackage is SQLite, its geometry a small
    header before standard WKB."""
    conn = sqlite3.connect(path)
    table = conn.execute("SELECT table_name FROM gpkg_contents LIMIT 1").fetchone()[0]
    columns = ", ".join(TEXT_COLUMNS)
    for row in conn.execute(f"SELECT {columns}, geom FROM {table}"):  # noqa: S608
        blob = row[-1]
        envelope = ENVELOPE_BYTES[(blob[3] >> 1) & 7]
        yield (*row[:-1], blob[8 + envelope :])


def floor_import(path: Path) -> tuple[float, int]:
    with harness.floor_connection(autocommit=False) as conn:
        conn.execute("DELETE FROM grids_component")
        started = time.perf_counter()
        conn.execute(
            "CREATE TEMP TABLE bench_stage (identifier text, category text, name text,"
            " supervising_unit_code text, supervising_unit_name text, owner_unit_code text,"
            " owner_unit_name text, maintenance_unit_code text, maintenance_unit_name text,"
            " status text, survey_date date, change_date date, data_source text, remarks text,"
            " geom geometry) ON COMMIT DROP"
        )
        with conn.cursor().copy(
            f"COPY bench_stage ({', '.join(TEXT_COLUMNS)}, geom) FROM STDIN"
        ) as copy:
            for row in gpkg_rows(path):
                copy.write_row([*(v if v is not None else None for v in row[:-1]), row[-1].hex()])
        inserted = conn.execute(FLOOR_INSERT).rowcount
        took = time.perf_counter() - started
        conn.rollback()
    return took, inserted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=harness.RESULTS_DIR / "components.gpkg")
    parser.add_argument("--fresh", action="store_true", help="export the file again")
    args = parser.parse_args()
    harness.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    notes = {}
    if args.fresh or not args.file.exists():
        args.file.parent.mkdir(parents=True, exist_ok=True)
        args.file.unlink(missing_ok=True)
        started = time.perf_counter()
        call_command("export_components", str(args.file))
        notes["export_s"] = round(time.perf_counter() - started, 1)
    notes["file_mb"] = round(args.file.stat().st_size / 2**20, 1)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM grids_component")
        started = time.perf_counter()
        with redirect_stdout(io.StringIO()) as out:
            call_command("import_components", str(args.file))
        took = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM grids_component")
            (imported,) = cursor.fetchone()
        transaction.set_rollback(True)
    notes["command_said"] = out.getvalue().strip().splitlines()[-1:] if out.getvalue() else []
    stats = harness.Stats("import_components (GeoPackage)", [took], took)
    stats.extra["components"] = imported
    stats.extra["per_s"] = round(imported / took)
    floor_took, floor_rows = floor_import(args.file)
    floor = harness.Stats("  floor: COPY + 1 INSERT … SELECT", [floor_took], floor_took)
    floor.extra["components"] = floor_rows
    harness.report(
        "Component import",
        [(stats, floor)],
        components=imported,
        components_per_s=round(imported / took),
        floor_components=floor_rows,
        note="one run each; latency = the whole import",
        **notes,
    )


if __name__ == "__main__":
    main()

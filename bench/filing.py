"""Benchmark 1: filing a case over HTTP — POST /api/v1/cases/ (multipart, one small JPEG) by
inspectors in their own grids, against gunicorn: the photo is decoded and re-encoded, the grid
found from the point, the case, event, fact and photo rows written and the automation (routing
suggestion and duplicate check) queued for a worker.

Floor: the same rows (number counter, case, event, photo) with the point-in-polygon grid lookup
as ONE SQL statement through psycopg, from as many concurrent connections.

    python -m bench.filing                      # 1, 8 and 32 clients, 4 gunicorn workers
    python -m bench.filing --scale-out          # 8 clients against 1, 2 and 4 workers
"""

from __future__ import annotations

import argparse
import hashlib
import random
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO

from bench import harness

DESCRIPTION = "路面有暴露垃圾，影响通行（基准测试）"
CATEGORY_CODES = ("06010", "06011", "06001", "09001", "09004", "07001")  # common matters


@dataclass(frozen=True)
class Filing:
    """What one report carries: who, where, which category."""

    user_id: int
    lon: float
    lat: float
    category_id: int


def jpeg(width: int = 320, height: int = 240) -> bytes:
    """A small real photo: a gradient, so the encoder has some work to do."""
    from PIL import Image

    img = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def filings(count: int, *, seed: int = 7) -> list[Filing]:
    """Random points in grids patrolled by inspectors, each reported by that grid's inspector."""
    with harness.floor_connection() as conn:
        categories = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM grids_category WHERE kind = 'matter' AND retired_on IS NULL"
                " AND code = ANY(%s)",
                [list(CATEGORY_CODES)],
            )
        ] or [
            row[0]
            for row in conn.execute("SELECT id FROM grids_category WHERE kind = 'matter' LIMIT 6")
        ]
        conn.execute("SELECT setseed(%s)", [(seed % 100) / 100])
        rows = conn.execute(
            "SELECT p.inspector_id, ST_X(pt.geom), ST_Y(pt.geom)"
            "  FROM (SELECT grid_id, inspector_id FROM departments_patrolassignment"
            "         WHERE valid_to IS NULL ORDER BY random() LIMIT %s) p"
            "  JOIN grids_grid g ON g.id = p.grid_id,"
            "  LATERAL ST_Dump(ST_GeneratePoints(g.boundary, 1, p.grid_id::int)) pt",
            [count],
        ).fetchall()
    rng = random.Random(seed)
    result = [Filing(user, lon, lat, rng.choice(categories)) for user, lon, lat in rows]
    while len(result) < count:  # fewer patrolled grids than filings: reuse with new points
        base = rng.choice(rows)
        result.append(
            Filing(
                base[0],
                base[1] + rng.uniform(-2e-5, 2e-5),
                base[2] + rng.uniform(-2e-5, 2e-5),
                rng.choice(categories),
            )
        )
    return result[:count]


def requests_for(items: list[Filing], photo: bytes) -> list[bytes]:
    from django.contrib.auth import get_user_model

    from bench import http

    users = get_user_model().objects.in_bulk({item.user_id for item in items})
    sessions = {pk: http.session_for(user) for pk, user in users.items()}
    return [
        http.multipart_post(
            "/api/v1/cases/",
            sessions[item.user_id],
            {
                "source": "inspector",
                "category": str(item.category_id),
                "description": DESCRIPTION,
                "lon": f"{item.lon:.7f}",
                "lat": f"{item.lat:.7f}",
            },
            {"photos": ("photo.jpg", photo, "image/jpeg")},
        )
        for item in items
    ]


FLOOR_SQL = """
WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS geom),
g AS (SELECT grids_grid.id, grids_grid.code FROM grids_grid, pt
       WHERE grids_grid.boundary && pt.geom AND ST_Covers(grids_grid.boundary, pt.geom)
         AND valid_from <= %(day)s AND (valid_to IS NULL OR valid_to > %(day)s)
       ORDER BY grids_grid.id LIMIT 1),
n AS (UPDATE cases_casenumbercounter SET last_serial = last_serial + 1
       WHERE year = %(year)s RETURNING last_serial::text AS serial),
c AS (INSERT INTO cases_case (number, source, category_id, description, location, address,
        grid_id, reporter_id, reporter_name, reporter_phone, urgency, status, pending,
        pending_data, suggested_assisting_ids, suggestion_reason, duplicate_reason, step,
        step_started_at, step_deadline, step_natural, step_suspended, timer_colour, escalated,
        next_timer_change_at, suspended_total, rework_count, extension_count, sendback_count,
        urge_count, urged, business_type, outcome, reported_at, updated_at, version)
      SELECT %(year)s || lpad(serial, greatest(6, length(serial)), '0'), 'inspector', %(category)s,
             %(description)s, pt.geom, '', g.id, %(user)s, '', '', 'normal', 'reported', '',
             '{}', '[]', '', '', 'accept', now(), now() + interval '1 hour', false,
             interval '0', 'green', false, now() + interval '48 minutes', interval '0', 0, 0, 0,
             0, false, '', '', now(), now(), 1
        FROM g, n, pt RETURNING id),
e AS (INSERT INTO cases_caseevent (case_id, sequence, action, actor_id, actor_role,
        from_status, to_status, note, data, created_at)
      SELECT c.id, 1, 'report', %(user)s, 'inspector', '', 'reported', %(description)s,
             jsonb_build_object('source', 'inspector', 'grid', g.code), now()
        FROM c, g RETURNING id, case_id)
INSERT INTO cases_casephoto (case_id, event_id, stage, image, thumbnail, content_type, width,
        height, sha256, far_from_case, uploaded_by_id, created_at)
SELECT e.case_id, e.id, 'report', 'cases/photos/floor.jpg', '', 'image/jpeg', 320, 240,
       %(sha)s, false, %(user)s, now()
  FROM e
"""


def floor_counter(conn: object, day: date) -> None:
    """The year's number counter row, which FLOOR_SQL only updates."""
    conn.execute(  # type: ignore[attr-defined]
        "INSERT INTO cases_casenumbercounter (year, last_serial) VALUES (%s, 0)"
        " ON CONFLICT DO NOTHING",
        [day.year],
    )


def floor_file(conn: object, item: Filing, *, day: date, description: str, sha: str) -> None:
    """One report filed the floor's way: FLOOR_SQL, one statement."""
    conn.execute(  # type: ignore[attr-defined]
        FLOOR_SQL,
        {
            "lon": item.lon,
            "lat": item.lat,
            "day": day,
            "year": str(day.year),
            "category": item.category_id,
            "description": description,
            "user": item.user_id,
            "sha": sha,
        },
    )


def floor_load(
    name: str, items: list[Filing], *, clients: int, duration: float, sha: str
) -> harness.Stats:
    """The floor at the same concurrency: one thread and one connection per client."""
    from django.utils import timezone

    day = timezone.localdate()
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop_at = time.perf_counter() + duration

    def client() -> None:
        with harness.floor_connection() as conn:
            floor_counter(conn, day)
            while time.perf_counter() < stop_at:
                with lock:
                    item = items[next(counter) % len(items)]
                t = time.perf_counter()
                try:
                    floor_file(conn, item, day=day, description=DESCRIPTION, sha=sha)
                except Exception:
                    errors[0] += 1
                    continue
                took = time.perf_counter() - t
                with lock:
                    latencies.append(took)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return harness.Stats(name, latencies, time.perf_counter() - started, errors=errors[0])


def cpu_line(stats: harness.Stats) -> str:
    db = stats.extra.get("db_cpu_ms")
    return f"web {stats.extra['web_cpu_ms']} ms, database {db if db is not None else 'n/a'} ms"


def flush_queue() -> None:
    """Drop the tasks the run queued (no worker runs during the filing benchmark)."""
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run")
    parser.add_argument("--scale-out", action="store_true", help="1, 2, 4 workers at 8 clients")
    parser.add_argument("--no-floor", action="store_true")
    args = parser.parse_args()
    harness.setup()
    from bench import http, servers

    photo = jpeg()
    sha = hashlib.sha256(photo).hexdigest()
    items = filings(3000)
    requests = requests_for(items, photo)
    pairs = []
    if args.scale_out:
        for workers in (1, 2, 4):
            with servers.gunicorn(workers=workers) as (port, proc):
                http.load("warm-up", port, requests[:50], clients=4, count=50)
                meter = servers.CpuMeter(proc.pid)
                meter.start()
                stats = http.load(
                    f"filing, {workers} gunicorn worker(s), 8 clients",
                    port,
                    requests,
                    clients=8,
                    duration=args.duration,
                )
                stats.extra.update(meter.stop(len(stats.latencies)))
                print(f"   CPU per filing: {cpu_line(stats)}")
            pairs.append((stats, None))
            flush_queue()
        harness.report(
            "Filing scale-out (gunicorn workers)",
            pairs,
            cores=__import__("os").cpu_count(),
            started=datetime.now().isoformat(timespec="seconds"),
        )
        return
    with servers.gunicorn(workers=args.workers) as (port, proc):
        http.load("warm-up", port, requests[:50], clients=4, count=50)
        meter = servers.CpuMeter(proc.pid)
        for clients in [int(c) for c in args.clients.split(",")]:
            meter.start()
            stats = http.load(
                f"filing over HTTP, {clients} client(s)",
                port,
                requests,
                clients=clients,
                duration=args.duration,
            )
            stats.extra.update(meter.stop(len(stats.latencies)))
            print(f"   CPU per filing: {cpu_line(stats)}")
            floor = (
                None
                if args.no_floor
                else floor_load(
                    f"  floor: 1 SQL statement, {clients} conn.",
                    items,
                    clients=clients,
                    duration=args.duration,
                    sha=sha,
                )
            )
            pairs.append((stats, floor))
            flush_queue()
    harness.report(
        "Filing a case over HTTP",
        pairs,
        gunicorn_workers=args.workers,
        photo_bytes=len(photo),
    )


if __name__ == "__main__":
    main()

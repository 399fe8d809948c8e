"""What every benchmark shares: Django set-up, the floor's own psycopg connection, latency
statistics, the machine's facts, step timing, and a small key/value table in the benchmark
database that remembers the seed's anchor time and the latest figures."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(os.environ.get("BENCH_RESULTS_DIR", ROOT / "var" / "bench"))


def setup() -> None:
    """Django with the platform's own settings (not the tests'), from this checkout."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridcity.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def dsn(*, dbname: str | None = None) -> str:
    """DATABASE_URL as a libpq URL (postgis:// is Django's spelling), optionally another db."""
    url = os.environ.get("DATABASE_URL", "postgis://gridcity:gridcity@127.0.0.1:5432/gridcity")
    parts = urlsplit(url)
    path = f"/{dbname}" if dbname else parts.path
    return urlunsplit(("postgresql", parts.netloc, path, parts.query, ""))


def database_name() -> str:
    return urlsplit(dsn()).path.lstrip("/")


def time_zone() -> str:
    from django.conf import settings

    return settings.TIME_ZONE


def floor_connection(*, autocommit: bool = True) -> Any:
    """A plain psycopg connection for the floor: the same work in the fewest SQL statements."""
    import psycopg

    return psycopg.connect(dsn(), autocommit=autocommit)


# ---------------------------------------------------------------- statistics


@dataclass
class Stats:
    """Latencies (seconds) of one measured run and how long the run took."""

    name: str
    latencies: list[float]
    wall: float
    errors: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def pct(self, q: float) -> float:
        data = sorted(self.latencies)
        if not data:
            return float("nan")
        k = (len(data) - 1) * q
        lo, hi = int(k), min(int(k) + 1, len(data) - 1)
        return data[lo] + (data[hi] - data[lo]) * (k - lo)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall if self.wall else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "n": len(self.latencies),
            "errors": self.errors,
            "per_s": round(self.throughput, 1),
            "p50_ms": round(self.pct(0.50) * 1000, 2),
            "p95_ms": round(self.pct(0.95) * 1000, 2),
            "p99_ms": round(self.pct(0.99) * 1000, 2),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 2)
            if self.latencies
            else None,
            **self.extra,
        }


def measure(name: str, call: Callable[[int], Any], *, n: int, warmup: int = 3) -> Stats:
    """Run `call(i)` n times in a row (after a few unmeasured warm-up calls)."""
    for i in range(warmup):
        call(i)
    latencies = []
    started = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        call(i)
        latencies.append(time.perf_counter() - t)
    return Stats(name, latencies, time.perf_counter() - started)


HEADER = (
    f"{'benchmark':46} {'n':>6} {'err':>4} {'per s':>8} {'p50 ms':>8} {'p95 ms':>8} "
    f"{'p99 ms':>8} {'× floor':>8}"
)


def line(stats: Stats, floor: Stats | None = None) -> str:
    ratio = ""
    if floor is not None and floor.latencies and stats.latencies:
        ratio = f"{stats.pct(0.5) / floor.pct(0.5):8.1f}"
    return (
        f"{stats.name[:46]:46} {len(stats.latencies):6d} {stats.errors:4d} "
        f"{stats.throughput:8.1f} {stats.pct(0.5) * 1000:8.1f} {stats.pct(0.95) * 1000:8.1f} "
        f"{stats.pct(0.99) * 1000:8.1f} {ratio:>8}"
    )


def report(title: str, pairs: list[tuple[Stats, Stats | None]], **notes: Any) -> dict[str, Any]:
    """Print a table of platform runs beside their floors and save it as JSON."""
    print(f"\n== {title}")
    print(HEADER)
    rows = []
    for stats, floor in pairs:
        print(line(stats, floor))
        if stats.extra.get("sample_error"):
            print(f"   ! {stats.extra['sample_error'][:300]!r}")
        if floor is not None:
            print(line(floor))
        row = {"platform": stats.as_dict(), "floor": floor.as_dict() if floor else None}
        if floor is not None and floor.latencies and stats.latencies:
            row["p50_ratio"] = round(stats.pct(0.5) / floor.pct(0.5), 2)
            row["throughput_ratio"] = round(floor.throughput / stats.throughput, 2)
        rows.append(row)
    for key, value in notes.items():
        print(f"   {key}: {value}")
    result = {"title": title, "rows": rows, "notes": notes, "machine": machine()}
    save(title, result)
    return result


def save(title: str, result: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    slug = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")
    path = RESULTS_DIR / f"{slug}.json"
    result = {**result, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    path.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    return path


# ---------------------------------------------------------------- the machine


def machine() -> dict[str, Any]:
    """Cores, memory, load and the versions that matter, for RESULTS.md."""
    import django

    facts: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "load_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "django": django.get_version(),
    }
    try:
        with floor_connection() as conn:
            facts["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
            facts["postgis"] = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
    except Exception as exc:  # the facts must not stop a benchmark
        facts["postgresql"] = f"? ({exc})"
    try:
        import redis
        from django.conf import settings

        info = redis.Redis.from_url(settings.CELERY_BROKER_URL).info("server")
        facts["redis"] = info.get("redis_version")
    except Exception as exc:
        facts["redis"] = f"? ({exc})"
    return facts


def _cpu_model() -> str:
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                return text.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# ---------------------------------------------------------------- steps and memory of a run


class Out:
    """Prints what a long job does, and how long each step took."""

    def __init__(self) -> None:
        self.steps: dict[str, float] = {}

    def say(self, text: str) -> None:
        print(f"  {text}", flush=True)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        print(f"- {name} …", flush=True)
        started = time.monotonic()
        yield
        took = time.monotonic() - started
        self.steps[name] = round(took, 1)
        print(f"  {name}: {took:.1f} s", flush=True)


def meta_set(key: str, value: Any) -> None:
    with floor_connection() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb)")
        conn.execute(
            "INSERT INTO bench_meta VALUES (%s, %s) ON CONFLICT (key) DO UPDATE"
            " SET value = EXCLUDED.value",
            [key, json.dumps(value, default=str)],
        )


def meta_get(key: str) -> Any:
    with floor_connection() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb)")
        row = conn.execute("SELECT value FROM bench_meta WHERE key = %s", [key]).fetchone()
    return row[0] if row else None


def anchor() -> Any:
    """The moment the scale data was generated for (open cases' clocks are relative to it)."""
    from datetime import datetime

    seed = meta_get("seed")
    if not seed:
        raise SystemExit("no scale data here: run python -m bench.seed_scale first")
    return datetime.fromisoformat(seed["now"])

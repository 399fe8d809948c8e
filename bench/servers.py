"""The platform's processes as a benchmark runs them: gunicorn with N workers and a Celery worker
with N processes, started from this checkout with the platform's settings, and their memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.harness import ROOT

BIN = Path(sys.executable).parent
LOG_DIR = Path(os.environ.get("BENCH_LOG_DIR", tempfile.gettempdir()))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "gridcity.settings")
    env.setdefault("DJANGO_HTTPS", "false")
    env.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")
    env.setdefault("LOG_LEVEL", "WARNING")
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def collect_static() -> None:
    """The manifest the production static storage needs (as a deployment's set-up runs it)."""
    subprocess.run(  # noqa: S603 - fixed arguments
        [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=_env(),
        check=True,
    )


@contextmanager
def gunicorn(*, workers: int, port: int | None = None) -> Iterator[tuple[int, subprocess.Popen]]:
    """gunicorn as the Procfile runs it (sync workers, 60 s timeout) on a free port; yields
    (port, process)."""
    collect_static()
    port = port or free_port()
    log_path = LOG_DIR / f"bench-gunicorn-{port}.log"
    with (
        log_path.open("w") as log,
        _started(
            [
                str(BIN / "gunicorn"),
                "gridcity.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            log,
        ) as proc,
    ):
        _wait_port(port, proc)
        time.sleep(1.0 + 0.3 * workers)  # every worker imports Django before it serves
        yield port, proc


@contextmanager
def celery_worker(*, processes: int, queues: str = "") -> Iterator[subprocess.Popen]:
    command = [
        str(BIN / "celery"),
        "-A",
        "gridcity",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        str(processes),
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--hostname",
        f"bench{processes}@%h",
    ]
    if queues:
        command += ["--queues", queues]
    with (LOG_DIR / "bench-celery.log").open("w") as log, _started(command, log) as proc:
        yield proc


@contextmanager
def celery_beat() -> Iterator[subprocess.Popen]:
    """The scheduler as the Procfile runs it: the timer sweep and the outbox relay."""
    command = [str(BIN / "celery"), "-A", "gridcity", "beat", "--loglevel", "WARNING"]
    with (LOG_DIR / "bench-celery-beat.log").open("w") as log, _started(command, log) as proc:
        yield proc


@contextmanager
def _started(command: list[str], log: object) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(  # noqa: S603 - fixed arguments
        command, cwd=ROOT, env=_env(), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield proc
    finally:
        _stop(proc)


def tree(pid: int) -> list[int]:
    """The process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU the processes and their reaped children have used so far, in
    seconds. Summed over a whole tree (or all of PostgreSQL's processes), it stays exact when a
    process ends in between: its time moves to its parent's count of reaped children."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def database_pids() -> list[int]:
    """This machine's PostgreSQL processes (none when the database runs elsewhere)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class CpuMeter:
    """CPU used by the web processes and by the local database between start() and stop(),
    per request: unlike throughput, it hardly moves when a neighbour takes the machine's
    cores for a while."""

    def __init__(self, web_pid: int) -> None:
        self.web_pid = web_pid

    def _now(self) -> tuple[float, float | None]:
        db_pids = database_pids()
        db = cpu_seconds(db_pids) if db_pids else None
        return cpu_seconds(tree(self.web_pid)), db

    def start(self) -> None:
        self._web, self._db = self._now()

    def stop(self, requests: int) -> dict[str, float | None]:
        web, db = self._now()
        per = max(requests, 1)
        return {
            "web_cpu_ms": round((web - self._web) / per * 1000, 2),
            "db_cpu_ms": (
                round((db - self._db) / per * 1000, 2)
                if db is not None and self._db is not None
                else None
            ),
        }


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MiB (0 when it is gone)."""
    try:
        for text in Path(f"/proc/{pid}/status").read_text().splitlines():
            if text.startswith("VmRSS:"):
                return int(text.split()[1]) / 1024
    except OSError:
        pass
    return 0.0

"""Fixtures of the fault tests: a PostgreSQL cluster of the test's own (which it may stop and
restart), and the platform's own processes (gunicorn, Celery worker and beat) around it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tests.conftest import ROOT, free_port
from tests.processes import child_env


def _postgres_bin() -> Path:
    """Debian's server binaries of the newest installed major version (PostGIS is installed
    for it by `make test`)."""
    root = Path("/usr/lib/postgresql")
    majors = sorted((p for p in root.glob("*") if (p / "bin" / "initdb").exists()), reverse=True)
    if not majors:
        pytest.fail("the PostgreSQL server binaries are not installed: run `make test`")
    return majors[0] / "bin"


@dataclass
class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port, migrated for GridCity."""

    bin: Path
    data: Path
    port: int
    run_as: str | None
    log: Path
    database: str = "gridcity"
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"postgis://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={self.database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(  # noqa: S603
            command, check=True, capture_output=True, text=True, cwd=self.data.parent
        )

    def pg_ctl(self, action: str, *extra: str) -> None:
        self._run(
            str(self.bin / "pg_ctl"),
            action,
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            *extra,
        )

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self) -> None:
        # "fast": what a restart by an operator or a failover does to open connections.
        self.pg_ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self.pg_ctl("restart", "-m", "fast")

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            cursor = conn.execute(sql, params)
            return cursor.fetchall() if cursor.description else []


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """initdb, start, create the database with PostGIS and migrate it. As root, the cluster
    belongs to the `postgres` system user (the server refuses to run as root)."""
    bin_dir = _postgres_bin()
    run_as = "postgres" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="gridcity-pg-"))
    data = base / "data"
    log = base / "server.log"
    if run_as:
        shutil.chown(base, user=run_as)
    port = free_port()
    server = PrivatePostgres(bin=bin_dir, data=data, port=port, run_as=run_as, log=log)
    server._run(
        str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"
    )
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{base}'\nfsync = off\nmax_connections = 60\n"
        )
    server.start()
    try:
        with psycopg.connect(
            f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute("CREATE DATABASE gridcity")
        server.query("CREATE EXTENSION postgis")
        server.env = {"DATABASE_URL": server.url}
        django_run(server.env, "migrate", "--noinput")
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped by the test
            server.stop()
        shutil.rmtree(base, ignore_errors=True)


def django_run(env: dict[str, str], *command: str) -> str:
    """A manage.py command in its own process against `env`'s database; returns its output."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(command)} failed:\n{done.stderr[-4000:]}")
    return done.stdout


def django_script(env: dict[str, str], code: str) -> object:
    """Runs `code` (which sets `result`) in a Django process against `env`'s database and
    returns `result` read back as JSON."""
    wrapper = (
        "import json, django\ndjango.setup()\nresult = None\n"
        + code
        + "\nprint('RESULT=' + json.dumps(result))\n"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", wrapper],
        cwd=ROOT,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise AssertionError(f"script failed:\n{done.stderr[-4000:]}")
    line = [row for row in done.stdout.splitlines() if row.startswith("RESULT=")][-1]
    return json.loads(line.removeprefix("RESULT="))


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the process and every child it started: no warm shutdown, no goodbye."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    proc.wait(timeout=30)

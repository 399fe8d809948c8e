"""The platform's own processes as tests start them: gunicorn serving it, Celery worker or beat,
and a logged-in requests session against them (see tests.conftest for the shared worker)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.conftest import ROOT, free_port, stop, wait_for

PASSWORD = "pw-test-123"  # tests.factories.departments.UserFactory's password


def child_env(**overrides: str) -> dict[str, str]:
    """The environment of a platform process started by a test (tests.settings, unbuffered)."""
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="tests.settings", PYTHONUNBUFFERED="1")
    env.update(overrides)
    if "REDIS_URL" in overrides:
        env["TEST_REDIS_URL"] = overrides["REDIS_URL"]
    return env


@dataclass
class Web:
    proc: subprocess.Popen[bytes]
    base: str
    log: Path


@contextmanager
def start_web(
    env: dict[str, str], *, log: Path, workers: int = 2, threads: int = 4
) -> Iterator[Web]:
    """gunicorn serving the platform, yielded once it answers the login page."""
    port = free_port()
    proc = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "gridcity.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "120",
        ],
        cwd=ROOT,
        env=child_env(**env),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    web = Web(proc=proc, base=f"http://127.0.0.1:{port}", log=log)

    def answers() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
        try:
            return requests.get(f"{web.base}/accounts/login/", timeout=10).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_for(answers, timeout=90, what="gunicorn to answer")
        yield web
    finally:
        stop(proc)


def start_celery(
    env: dict[str, str], *what: str, log: Path, settings_module: str = "tests.settings"
) -> subprocess.Popen[bytes]:
    """`celery -A gridcity <what>` in a session of its own, so that the whole process tree
    (a prefork worker's children too) can be killed at once."""
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "gridcity", *what, "--loglevel=INFO"],
        cwd=ROOT,
        env=child_env(**{**env, "DJANGO_SETTINGS_MODULE": settings_module}),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


class Supervised:
    """A process restarted whenever it exits, until stopped: what the deployment's supervisor
    does (docker-compose ``restart: unless-stopped``). A Celery worker can exit when its broker
    vanishes in the middle of an acknowledgement (kombu's Redis transport fails to restore the
    unacknowledged message and the worker stops as "unrecoverable"); a city's worker comes
    back, so a test of a broker outage runs its worker the same way."""

    def __init__(self, start: Callable[[int], subprocess.Popen[bytes]]) -> None:
        self._start = start
        self.starts = 1
        self.process = start(0)
        self._stopping = threading.Event()
        self._watch = threading.Thread(target=self._keep_running, daemon=True)
        self._watch.start()

    def _keep_running(self) -> None:
        while not self._stopping.wait(0.5):
            if self.process.poll() is not None and not self._stopping.is_set():
                self.process = self._start(self.starts)
                self.starts += 1

    def stop(self) -> None:
        self._stopping.set()
        self._watch.join()
        stop(self.process)


def login(session: requests.Session, base: str, username: str, password: str = PASSWORD) -> None:
    """Logs in through the real form, as a browser does."""
    session.get(f"{base}/accounts/login/", timeout=30)
    response = session.post(
        f"{base}/accounts/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        headers={"Referer": base},
        timeout=30,
    )
    assert response.ok and "sessionid" in session.cookies, response.status_code


def api_headers(session: requests.Session, base: str, **extra: str) -> dict[str, str]:
    return {"X-CSRFToken": session.cookies["csrftoken"], "Referer": base, **extra}

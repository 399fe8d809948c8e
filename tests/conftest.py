"""Shared fixtures: a real Celery worker process on Redis, and helpers to run the platform's
own processes (web, worker, Redis) against the test database."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def process_env(**overrides: str) -> dict[str, str]:
    """The environment a subprocess needs to act on the test database."""
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=(
            f"postgis://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        REDIS_URL=settings.CELERY_BROKER_URL,
        TEST_REDIS_URL=settings.CELERY_BROKER_URL,
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    if "REDIS_URL" in overrides:
        env["TEST_REDIS_URL"] = overrides["REDIS_URL"]
    return env


def start_worker(env: dict[str, str], *, name: str, log: Path) -> subprocess.Popen[bytes]:
    """A real `celery worker` process, returned once it answers a ping."""
    proc = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "gridcity",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            f"--hostname={name}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return proc


def stop(proc: subprocess.Popen[bytes], *, timeout: float = 15) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: None, django_db_blocker: object, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[subprocess.Popen[bytes]]:
    """One real worker for the session, consuming the tests' own Redis database.

    Tests that use it must commit what the worker reads: mark them
    `@pytest.mark.django_db(transaction=True)`.
    """
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    name = f"tests-{os.getpid()}"
    proc = start_worker(process_env(), name=name, log=log)
    from gridcity.celery import app

    def answers() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"worker exited:\n{log.read_text()[-3000:]}")
        return any(name in key for reply in app.control.ping(timeout=0.5) for key in reply)

    wait_for(answers, timeout=60, what="the Celery worker to answer")
    yield proc
    stop(proc)


@pytest.fixture
def tasks_in_process() -> Iterator[None]:
    """For transactional tests that do not use the worker: run the tasks they queue in their
    own process, so that a worker left running by another test never reads these tables while
    the test runner truncates them (TRUNCATE and a reader deadlock)."""
    from gridcity.celery import app

    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _page_tests_run_tasks_in_process(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks that a page test's live server queues run in that server, not on the session's
    worker: a worker reading the tables while the test runner truncates them deadlocks the
    flush and leaves rows behind for the next test. Tests that want the worker ask for it."""
    if "live_server" in request.fixturenames and "celery_worker" not in request.fixturenames:
        request.getfixturevalue("tasks_in_process")
    yield


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """A redis-server of the test's own on a free port, which the test may stop and start."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: run `make test`, which installs it")
    port = free_port()
    state: dict[str, subprocess.Popen[bytes] | None] = {"proc": None}

    def control(action: str) -> None:
        if action == "start":
            state["proc"] = subprocess.Popen(  # noqa: S603
                [
                    binary,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(tmp_path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            client = redis.Redis(port=port)
            wait_for(lambda: _pings(client), timeout=10, what="redis-server to start")
        elif action == "stop" and state["proc"] is not None:
            stop(state["proc"])
            state["proc"] = None

    control.url = f"redis://127.0.0.1:{port}/0"  # type: ignore[attr-defined]
    control("start")
    yield control
    control("stop")


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


# ---------------------------------------------------------------- browser
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright (its own browser download is not used)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: run `make test`, which installs it")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[object, str], Path]:
    """Saves a full-page screenshot under test-artifacts/screenshots/<test>-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: object, name: str) -> Path:
        path = SCREENSHOTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path

    return take

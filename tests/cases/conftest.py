"""Fixtures of the cases tests: a small world with one person per role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.factories.cases import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


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


def worker_drained() -> bool:
    """Whether the test worker has nothing queued, reserved or running."""
    from gridcity.celery import app

    with app.connection_for_write() as conn:
        queued = conn.default_channel.client.llen("celery")
    inspector = app.control.inspect(timeout=1)
    busy = [inspector.active() or {}, inspector.reserved() or {}]
    return queued == 0 and not any(tasks for replies in busy for tasks in replies.values())

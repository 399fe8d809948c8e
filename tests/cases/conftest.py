"""Fixtures of the cases tests: a small world with one person per role."""

from __future__ import annotations

import pytest

from tests.factories.cases import World, build_world


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def worker_drained() -> bool:
    """Whether the test worker has nothing queued, reserved or running."""
    from gridcity.celery import app

    with app.connection_for_write() as conn:
        queued = conn.default_channel.client.llen("celery")
    inspector = app.control.inspect(timeout=1)
    busy = [inspector.active() or {}, inspector.reserved() or {}]
    return queued == 0 and not any(tasks for replies in busy for tasks in replies.values())

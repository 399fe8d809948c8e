"""A Celery worker killed (SIGKILL, the whole process tree) in the middle of a task: the same
task message runs again on another worker and its effect happens once."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import psycopg
import pytest
import requests
from django.db import connection

from cases.models import Case, CaseEvent
from cases.workflow import SystemEvent
from tests.conftest import process_env, stop, wait_for
from tests.factories.cases import build_world, jpeg_bytes
from tests.processes import api_headers, login, start_celery, start_web
from tests.reliability.conftest import kill_tree

pytestmark = [pytest.mark.slow, pytest.mark.celery]

TASK = "cases.tasks.process_reported_case"


def _dsn() -> str:
    db = connection.settings_dict
    return (
        f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} "
        f"password={db['PASSWORD']} dbname={db['NAME']}"
    )


def _task_ids(log: Path, state: str) -> list[str]:
    pattern = rf"Task {re.escape(TASK)}\[([0-9a-f-]+)\] {state}"
    return re.findall(pattern, log.read_text(errors="replace"))


def _ready(log: Path) -> bool:
    return " ready." in log.read_text(errors="replace")


def _waiting_on_lock(holder: psycopg.Connection) -> bool:
    rows = holder.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE %s",
        ("%departments_responsibilityrule%",),
    ).fetchone()
    return rows[0] > 0


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_task_the_task_runs_again_elsewhere_with_one_effect(
    private_redis, tmp_path
):
    world = build_world()
    env = process_env(REDIS_URL=private_redis.url)
    first_log, second_log = tmp_path / "worker-a.log", tmp_path / "worker-b.log"
    first = start_celery(
        env, "worker", "--concurrency=1", "--without-gossip", "--without-mingle",
        "--hostname=a@%h", log=first_log,
    )  # fmt: skip
    second = None
    # The routing suggestion reads the responsibility rules inside the transaction that locks
    # the case: holding that table keeps the task there, half-way, for as long as we like.
    holder = psycopg.connect(_dsn())
    try:
        wait_for(lambda: _ready(first_log), timeout=60, what="worker A to be ready")
        holder.execute("LOCK TABLE departments_responsibilityrule IN ACCESS EXCLUSIVE MODE")
        with start_web(env, log=tmp_path / "web.log") as web:
            session = requests.Session()
            login(session, web.base, world.inspector.username)
            point = world.point()
            answer = session.post(
                f"{web.base}/api/v1/cases/",
                data={
                    "source": "inspector",
                    "category": world.matter.pk,
                    "description": "井盖缺失",
                    "lon": point.x,
                    "lat": point.y,
                },
                files={"photos": ("p.jpg", jpeg_bytes(), "image/jpeg")},
                headers=api_headers(session, web.base, **{"Idempotency-Key": str(uuid.uuid4())}),
                timeout=60,
            )
        assert answer.status_code == 201, answer.text[:500]
        case = Case.objects.get(number=answer.json()["number"])
        wait_for(
            lambda: _waiting_on_lock(holder) and _task_ids(first_log, "received"),
            timeout=60,
            what="worker A to be stuck in the middle of the task",
        )
        received = _task_ids(first_log, "received")

        kill_tree(first)
        holder.rollback()  # the dead worker's transaction is gone with its connection
        second = start_celery(
            env, "worker", "--concurrency=1", "--without-gossip", "--without-mingle",
            "--hostname=b@%h", log=second_log,
            settings_module="tests.reliability.fast_redelivery_settings",
        )  # fmt: skip
        wait_for(
            lambda: _task_ids(second_log, "succeeded"),
            timeout=120,
            what="worker B to run the task again",
        )
    finally:
        holder.close()
        kill_tree(first)
        if second is not None:
            stop(second)

    assert _task_ids(first_log, "succeeded") == []
    assert _task_ids(second_log, "succeeded") == received  # the same message, run elsewhere
    case.refresh_from_db()
    assert case.suggested_department_id == world.street_office.pk
    assert CaseEvent.objects.filter(case=case, action=SystemEvent.ROUTE_SUGGESTED).count() == 1

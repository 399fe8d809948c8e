"""A short mixed load run (bench/mixed.py, the same code) against gunicorn, a Celery worker and
beat: inspectors filing while the desk accepts, files and dispatches and supervisors read. The
run ends with every answered report stored once, every event chain consistent with its case,
facts equal to a rebuild from the log, the outbox drained and errors under 0.1 %.

The ten-minute run at city scale is `python -m bench.mixed` (figures in bench/RESULTS.md)."""

from __future__ import annotations

import json

import pytest

from bench import mixed
from tests.conftest import process_env, stop
from tests.factories.cases import build_world, jpeg_bytes
from tests.processes import start_celery, start_web

pytestmark = [pytest.mark.slow, pytest.mark.celery]


@pytest.mark.django_db(transaction=True)
def test_a_mixed_run_keeps_every_report_and_every_event_consistent(tmp_path):
    world = build_world()
    env = process_env()
    worker = start_celery(
        env, "worker", "--concurrency=2", "--without-gossip", "--without-mingle",
        "--hostname=mixed@%h", log=tmp_path / "worker.log",
    )  # fmt: skip
    beat = start_celery(env, "beat", log=tmp_path / "beat.log")
    try:
        with start_web(env, log=tmp_path / "web.log", workers=2, threads=4) as web:
            reporters = [
                mixed.Reporter(
                    mixed.logged_in(web.base, inspector),
                    world.matter.pk,
                    world.point(dx=0.2 + 0.6 * (i % 3) / 2, dy=0.3 + 0.2 * i).x,
                    world.point(dx=0.2 + 0.6 * (i % 3) / 2, dy=0.3 + 0.2 * i).y,
                )
                for i, inspector in enumerate([world.inspector, world.inspector, world.inspector])
            ]
            desk = {
                "accept": mixed.logged_in(web.base, world.acceptor),
                "file": mixed.logged_in(web.base, world.shift_leader),
                "dispatch": mixed.logged_in(web.base, world.dispatcher),
            }
            cast = mixed.Cast(
                base=web.base,
                reporters=reporters,
                desk=desk,
                readers=[
                    (mixed.logged_in(web.base, world.supervisor), mixed.SUPERVISOR_READS),
                    (desk["dispatch"], mixed.DESK_READS),
                ],
                department_ids=[world.sanitation.pk, world.street_office.pk],
                photo=jpeg_bytes(),
            )
            outcome = mixed.run(
                cast, duration=45, filing_rate=3, action_rate=3, read_rate=1, clients=8
            )
        findings = mixed.check(outcome, reporter_ids=[world.inspector.pk], drain_timeout=120)
    finally:
        stop(beat)
        stop(worker)
    assert findings["problems"] == [], json.dumps(findings, ensure_ascii=False, default=str)
    # The run did real work of every kind: reports stored, cases taken through the desk.
    assert findings["accepted_reports"] >= 100, findings
    assert outcome.tallies["act"].statuses.get(200, 0) >= 30, outcome.tallies["act"].statuses
    assert outcome.tallies["read"].statuses.get(200, 0) >= 40, outcome.tallies["read"].statuses
    assert findings["stored_reports"] == findings["accepted_reports"]

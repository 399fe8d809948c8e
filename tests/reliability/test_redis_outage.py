"""Redis stops while inspectors file reports over HTTP: every report is saved and answered, and
the work it calls for (routing suggestion, notices, thumbnails) is done once Redis returns,
exactly once, even when the relay sends the same work a second time."""

from __future__ import annotations

import subprocess
import time
import uuid

import pytest
import redis
import requests

from cases.models import Case, CaseEvent, CasePhoto
from cases.workflow import SystemEvent
from departments.models import Notice
from gridcity.models import OutboxTask
from tests.conftest import process_env, stop, wait_for
from tests.factories.cases import build_world, jpeg_bytes
from tests.processes import Supervised, api_headers, login, start_celery, start_web

pytestmark = [pytest.mark.slow, pytest.mark.celery]

REPORTS = 4


def _file_report(session: requests.Session, base: str, world, index: int) -> requests.Response:
    point = world.point(dx=0.1 + index * 0.15, dy=0.3)
    return session.post(
        f"{base}/api/v1/cases/",
        data={
            "source": "inspector",
            "category": world.matter.pk,
            "description": f"停电时上报的暴露垃圾 {index}",
            "lon": point.x,
            "lat": point.y,
        },
        files={"photos": (f"p{index}.jpg", jpeg_bytes(colour=(10 * index, 90, 60)), "image/jpeg")},
        headers=api_headers(session, base, **{"Idempotency-Key": str(uuid.uuid4())}),
        timeout=60,
    )


def _work_done(numbers: list[str]) -> bool:
    cases = Case.objects.filter(number__in=numbers)
    suggested = CaseEvent.objects.filter(case__in=cases, action=SystemEvent.ROUTE_SUGGESTED)
    thumbs = CasePhoto.objects.filter(case__in=cases).exclude(thumbnail="")
    notices = Notice.objects.filter(dedupe_key__startswith="case-event:")
    return (
        cases.filter(suggested_department__isnull=False).count() == REPORTS
        and suggested.count() == REPORTS
        and thumbs.count() == REPORTS
        and notices.count() >= REPORTS
    )


def _queue_empty(url: str) -> bool:
    return redis.Redis.from_url(url).llen("celery") == 0


@pytest.mark.django_db(transaction=True)
def test_redis_down_reports_are_saved_and_their_work_happens_once_when_it_returns(
    private_redis, tmp_path
):
    world = build_world()
    env = process_env(
        REDIS_URL=private_redis.url,
        GRIDCITY_OUTBOX_RELAY_SECONDS="1",
        GRIDCITY_OUTBOX_GRACE_SECONDS="0",
    )

    # Supervised: a worker may exit when Redis vanishes under an acknowledgement (see
    # Supervised); like the deployment's, this one is started again.
    def start_worker(n: int) -> subprocess.Popen[bytes]:
        return start_celery(
            env, "worker", "--concurrency=2", "--without-gossip", "--without-mingle",
            log=tmp_path / f"worker-{n}.log",
        )  # fmt: skip

    worker = Supervised(start_worker)
    beat = start_celery(env, "beat", log=tmp_path / "beat.log")
    session = requests.Session()
    try:
        with start_web(env, log=tmp_path / "web.log") as web:
            login(session, web.base, world.inspector.username)

            private_redis("stop")
            answers = [_file_report(session, web.base, world, i) for i in range(REPORTS)]
            numbers = [a.json().get("number") for a in answers if a.status_code == 201]
            saved_while_down = Case.objects.filter(number__in=numbers).count()
            suggested_while_down = CaseEvent.objects.filter(
                action=SystemEvent.ROUTE_SUGGESTED
            ).count()
            waiting_while_down = OutboxTask.objects.filter(sent_at__isnull=True).count()
            assert [a.status_code for a in answers] == [201] * REPORTS, [
                a.text[:300] for a in answers
            ]
            assert saved_while_down == REPORTS
            assert suggested_while_down == 0
            assert waiting_while_down >= REPORTS  # at least one suggestion task per report

            private_redis("start")
            wait_for(
                lambda: _work_done(numbers) and _queue_empty(private_redis.url),
                timeout=120,
                what="the waiting work to run once Redis returned",
            )
            # A relay whose "sent" marks were lost sends everything again: still one effect.
            OutboxTask.objects.update(sent_at=None)
            wait_for(
                lambda: (
                    not OutboxTask.objects.filter(sent_at__isnull=True).exists()
                    and _queue_empty(private_redis.url)
                ),
                timeout=60,
                what="the relay to send the work a second time",
            )
            time.sleep(3)  # the second deliveries run on the worker meanwhile
    finally:
        stop(beat)
        worker.stop()

    cases = Case.objects.filter(number__in=numbers)
    for case in cases:
        assert case.suggested_department_id is not None
        assert case.events.filter(action=SystemEvent.ROUTE_SUGGESTED).count() == 1
        assert [p.thumbnail.name != "" for p in case.photos.all()] == [True]
        report_event = case.events.get(action="report")
        keys = Notice.objects.filter(dedupe_key=f"case-event:{report_event.pk}")
        # The acceptor (the next step) hears of the report, once.
        assert list(keys.values_list("recipient", flat=True)) == [world.acceptor.pk]
    per_key = Notice.objects.values_list("recipient", "dedupe_key")
    assert len(list(per_key)) == len(set(per_key))

"""The outbox: work recorded with the write survives a broker outage and is sent once."""

from __future__ import annotations

import threading
import time

import pytest
import requests
from django.contrib.auth import get_user_model
from django.db import connection

from gridcity.models import Heartbeat, OutboxTask
from gridcity.outbox import outbox_relay, task_enqueue
from gridcity.tasks import record_heartbeat
from tests.conftest import process_env, start_worker, stop, wait_for
from tests.processes import api_headers, login, start_celery, start_web


@pytest.mark.django_db(transaction=True)
def test_outbox_task_is_sent_after_commit_and_runs_on_the_worker(client, celery_worker):
    admin = get_user_model().objects.create_superuser("ops", "ops@example.org", "pw-ops-12345")
    client.force_login(admin)

    queued = client.post("/api/v1/system/heartbeats/", HTTP_X_REQUEST_ID="outbox-trace-1")

    beat_id = queued.json()["id"]
    row = OutboxTask.objects.get(kwargs__heartbeat_id=beat_id)
    assert row.sent_at is not None
    assert row.attempts == 1
    wait_for(
        lambda: Heartbeat.objects.get(pk=beat_id).ran_at is not None,
        timeout=30,
        what="the worker to run the heartbeat",
    )
    assert Heartbeat.objects.get(pk=beat_id).worker_request_id == "outbox-trace-1"


@pytest.mark.django_db(transaction=True)
def test_outbox_rolled_back_write_sends_nothing():
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        task_enqueue(record_heartbeat, heartbeat_id=1)
        raise RuntimeError("the write failed")

    assert not OutboxTask.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_outbox_two_relays_at_once_send_each_task_once():
    # Rows as a broker outage leaves them: recorded, never sent.
    beats = [Heartbeat.objects.create(source=Heartbeat.Source.REQUEST) for _ in range(60)]
    OutboxTask.objects.bulk_create(
        OutboxTask(task=record_heartbeat.name, kwargs={"heartbeat_id": beat.pk}) for beat in beats
    )
    results: list[int] = []

    def relay() -> None:
        try:
            results.append(outbox_relay(older_than_seconds=0, batch_size=7))
        finally:
            connection.close()

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(results) == 60
    assert not OutboxTask.objects.filter(sent_at__isnull=True).exists()
    assert set(OutboxTask.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db(transaction=True)
def test_outbox_sends_its_tasks_without_waiting_for_a_result(monkeypatch):
    """Nothing reads a task's result. Sent without ignore_result, each task subscribed the
    sending process to its result channel on Redis, bookkeeping that grew for as long as a web
    process lived."""
    from gridcity.celery import app

    beats = [Heartbeat.objects.create(source=Heartbeat.Source.REQUEST) for _ in range(3)]
    OutboxTask.objects.bulk_create(
        OutboxTask(task=record_heartbeat.name, kwargs={"heartbeat_id": beat.pk}) for beat in beats
    )
    awaited: list[str] = []
    monkeypatch.setattr(
        app.backend, "on_task_call", lambda _producer, task_id: awaited.append(task_id)
    )

    sent = outbox_relay(older_than_seconds=0, batch_size=10)

    assert sent == 3
    assert awaited == []


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_outbox_broker_down_answers_requests_and_sends_the_work_when_it_returns(
    private_redis, tmp_path
):
    admin = get_user_model().objects.create_superuser("ops", "ops@example.org", "pw-ops-12345")
    env = process_env(
        REDIS_URL=private_redis.url,
        GRIDCITY_OUTBOX_RELAY_SECONDS="1",
        GRIDCITY_OUTBOX_GRACE_SECONDS="0",
    )
    worker = start_worker(env, name="outbox", log=tmp_path / "worker.log")
    beat = start_celery(env, "beat", log=tmp_path / "beat.log")
    session = requests.Session()
    try:
        with start_web(env, log=tmp_path / "web.log") as web:
            base = web.base
            login(session, base, admin.username, "pw-ops-12345")

            private_redis("stop")
            answers = [
                session.post(
                    f"{base}/api/v1/system/heartbeats/",
                    headers=api_headers(session, base),
                    timeout=20,
                )
                for _ in range(3)
            ]
            waiting = list(OutboxTask.objects.filter(sent_at__isnull=True))
            time.sleep(2)  # beat keeps failing to reach the broker meanwhile
            still_waiting = OutboxTask.objects.filter(sent_at__isnull=True).count()

            private_redis("start")
            ids = [answer.json()["id"] for answer in answers]
            wait_for(
                lambda: Heartbeat.objects.filter(pk__in=ids, ran_at__isnull=False).count() == 3,
                timeout=90,
                what="the relay to send the waiting work once Redis returned",
            )
    finally:
        stop(beat)
        stop(worker)

    assert [answer.status_code for answer in answers] == [202, 202, 202]
    assert len(waiting) == 3
    assert all("connect" in row.last_error.lower() for row in waiting), waiting[0].last_error
    assert still_waiting == 3
    sent = OutboxTask.objects.filter(kwargs__heartbeat_id__in=ids)
    assert sent.filter(sent_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_outbox_in_eager_mode_runs_the_task_in_process(tasks_in_process):
    beat = Heartbeat.objects.create(source=Heartbeat.Source.REQUEST)

    row = task_enqueue(record_heartbeat, heartbeat_id=beat.pk)

    beat.refresh_from_db()
    row.refresh_from_db()
    assert beat.ran_at is not None
    assert row.sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_outbox_tasks_committed_together_are_sent_at_the_end_of_the_block_in_one_mark(
    celery_worker,
):
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from gridcity.outbox import sent_together

    beats = [Heartbeat.objects.create(source=Heartbeat.Source.REQUEST) for _ in range(4)]
    with CaptureQueriesContext(connection) as captured, sent_together():
        for beat in beats[:2]:
            with transaction.atomic():
                task_enqueue(record_heartbeat, heartbeat_id=beat.pk)
        with pytest.raises(RuntimeError), transaction.atomic():
            task_enqueue(record_heartbeat, heartbeat_id=beats[2].pk)
            raise RuntimeError("this write failed")
        with transaction.atomic():
            task_enqueue(record_heartbeat, heartbeat_id=beats[3].pk)
        waiting = OutboxTask.objects.filter(sent_at__isnull=True).count()

    assert waiting == 3  # committed, not yet sent: the block sends them as it ends
    rows = OutboxTask.objects.all()
    assert len(rows) == 3
    assert all(row.sent_at is not None and row.attempts == 1 for row in rows)
    marks = [q for q in captured.captured_queries if q["sql"].startswith('UPDATE "gridcity_')]
    assert len(marks) == 1
    sent = [beats[0].pk, beats[1].pk, beats[3].pk]
    wait_for(
        lambda: Heartbeat.objects.filter(pk__in=sent, ran_at__isnull=False).count() == 3,
        timeout=30,
        what="the worker to run the three tasks sent together",
    )
    assert Heartbeat.objects.get(pk=beats[2].pk).ran_at is None


@pytest.mark.django_db(transaction=True)
def test_outbox_a_failure_while_sending_together_leaves_the_write_and_the_relay_sends_it(
    monkeypatch,
):
    from django.db import transaction

    from gridcity import outbox

    beat = Heartbeat.objects.create(source=Heartbeat.Source.REQUEST)

    def lost(_items):
        raise ConnectionError("the database went away while marking")

    monkeypatch.setattr(outbox, "_send_all", lost)
    with outbox.sent_together(), transaction.atomic():
        task_enqueue(record_heartbeat, heartbeat_id=beat.pk)  # no error reaches the writer
    monkeypatch.undo()

    row = OutboxTask.objects.get()
    assert row.sent_at is None
    assert outbox_relay(older_than_seconds=0) == 1


@pytest.mark.django_db(transaction=True)
def test_outbox_tasks_recorded_together_are_written_by_one_insert_and_sent_after_commit(
    celery_worker,
):
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from gridcity.outbox import recorded_together

    beats = [Heartbeat.objects.create(source=Heartbeat.Source.REQUEST) for _ in range(3)]
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        with recorded_together():
            rows = [task_enqueue(record_heartbeat, heartbeat_id=beat.pk) for beat in beats]
            assert [row.pk for row in rows] == [None, None, None]
            assert not OutboxTask.objects.exists()
        assert all(row.pk for row in rows)
        assert OutboxTask.objects.filter(sent_at__isnull=True).count() == 3  # not before commit

    inserts = [
        q for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "gridcity_')
    ]
    assert len(inserts) == 1
    assert OutboxTask.objects.filter(sent_at__isnull=False).count() == 3
    wait_for(
        lambda: Heartbeat.objects.filter(ran_at__isnull=False).count() == 3,
        timeout=30,
        what="the worker to run the three tasks recorded together",
    )


@pytest.mark.django_db(transaction=True)
def test_outbox_a_block_that_raises_records_none_of_its_tasks():
    from django.db import transaction

    from gridcity.outbox import recorded_together

    beat = Heartbeat.objects.create(source=Heartbeat.Source.REQUEST)
    with transaction.atomic():
        with pytest.raises(RuntimeError), recorded_together():
            task_enqueue(record_heartbeat, heartbeat_id=beat.pk)
            raise RuntimeError("the work that called for the task failed")
        task_enqueue(record_heartbeat, heartbeat_id=beat.pk)  # after the block: recorded

    assert OutboxTask.objects.count() == 1

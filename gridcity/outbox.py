"""The transactional outbox: Celery work is recorded with the write that calls for it and sent
after the commit, so a broker outage delays the work instead of losing it or failing the
request. `outbox_relay` (run by beat) sends whatever the broker could not take at the time."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gridcity.celery import app
from gridcity.logging import current_request_id
from gridcity.models import OutboxTask

logger = logging.getLogger(__name__)


def task_enqueue(task: Task | str, **kwargs: Any) -> OutboxTask:
    """Records `task(**kwargs)` in the current transaction; it is sent when that commits.

    The task must be idempotent: a relay may send it again if the mark of an earlier send
    was lost.
    """
    name = task if isinstance(task, str) else task.name
    request_id = current_request_id() or ""
    row = OutboxTask.objects.create(task=name, kwargs=kwargs, request_id=request_id)
    transaction.on_commit(lambda: _send(row.pk, name, kwargs, request_id), robust=True)
    return row


def _send(row_id: int, name: str, kwargs: dict[str, Any], request_id: str) -> bool:
    """Publishes one task; marks the row sent, or records why the broker refused it. The task
    carries the request id of the write that recorded it, even when the relay sends it."""
    if app.conf.task_always_eager:
        # Eager mode (tests that run tasks in their own process) runs the task here, as
        # delay() would; there is no broker to tell.
        app.tasks[name].apply(kwargs=kwargs)
        OutboxTask.objects.filter(pk=row_id).update(
            sent_at=timezone.now(), attempts=F("attempts") + 1
        )
        return True
    try:
        # No retries here: a request must not wait on a broker that is down; the relay retries.
        headers = {"request_id": request_id} if request_id else None
        with app.producer_or_acquire() as producer:
            # A pooled connection is reused; a dead one gets one quick reconnect, not kombu's
            # default patient retries, which would hold the request for many seconds.
            producer.connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0.2, interval_max=0.2, timeout=2
            )
            # No one waits for the result (the tasks ignore theirs). Without saying so here,
            # send_task subscribes the process to the task's result channel on Redis, and that
            # bookkeeping, never read back, grew for as long as the process lived (about
            # 0.2 KB a task, bench/RESULTS.md, fourth round).
            app.send_task(
                name,
                kwargs=kwargs,
                retry=False,
                headers=headers,
                producer=producer,
                ignore_result=True,
            )
    except Exception as exc:
        logger.warning("task %s (outbox #%s) not sent yet: %s", name, row_id, exc)
        OutboxTask.objects.filter(pk=row_id).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:1000]
        )
        return False
    OutboxTask.objects.filter(pk=row_id).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    return True


def outbox_relay(*, older_than_seconds: float | None = None, batch_size: int = 500) -> int:
    """Sends unsent tasks older than a grace period (those younger may still be on their way
    from their own commit) and forgets sent ones past retention. Returns how many were sent.

    Rows are claimed with SKIP LOCKED, so two relays running at once never send a row twice.
    """
    grace = (
        settings.GRIDCITY_OUTBOX_GRACE_SECONDS if older_than_seconds is None else older_than_seconds
    )
    cutoff = timezone.now() - timedelta(seconds=grace)
    sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                OutboxTask.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True, created_at__lte=cutoff)
                .order_by("pk")[:batch_size]
            )
            if not rows:
                break
            ok = [row for row in rows if _send(row.pk, row.task, row.kwargs, row.request_id)]
            sent += len(ok)
            if len(ok) < len(rows):
                break  # the broker is still refusing; try again at the next run
    retention = timezone.now() - timedelta(days=settings.GRIDCITY_OUTBOX_KEEP_DAYS)
    OutboxTask.objects.filter(sent_at__lt=retention).delete()
    return sent


def outbox_backlog() -> dict[str, Any]:
    """How much work waits for the broker, for /healthz and operators."""
    unsent = OutboxTask.objects.filter(sent_at__isnull=True)
    oldest = unsent.order_by("created_at").values_list("created_at", flat=True).first()
    return {
        "unsent": unsent.count(),
        "oldest_age_seconds": (
            round((timezone.now() - oldest).total_seconds(), 1) if oldest else None
        ),
    }

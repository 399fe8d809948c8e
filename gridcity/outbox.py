"""The transactional outbox: Celery work is recorded with the write that calls for it and sent
after the commit, so a broker outage delays the work instead of losing it or failing the
request. `outbox_relay` (run by beat) sends whatever the broker could not take at the time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


# Tasks whose transaction committed inside sent_together(), waiting for the block to end.
_together = threading.local()
# Tasks recorded inside recorded_together(), waiting for the block to end to be written.
_recording = threading.local()

# One task as sent: its outbox row, name, arguments and the request id it carries.
Item = tuple[int, str, dict[str, Any], str]


def task_enqueue(task: Task | str, **kwargs: Any) -> OutboxTask:
    """Records `task(**kwargs)` in the current transaction (at the end of the enclosing
    recorded_together(), if any); it is sent when that commits (at the end of the enclosing
    sent_together(), if any).

    The task must be idempotent: a relay may send it again if the mark of an earlier send
    was lost.
    """
    name = task if isinstance(task, str) else task.name
    request_id = current_request_id() or ""
    row = OutboxTask(task=name, kwargs=kwargs, request_id=request_id)
    waiting = getattr(_recording, "rows", None)
    if waiting is not None:
        waiting.append(row)  # written at the end of recorded_together()
        return row
    row.save(force_insert=True)
    _send_on_commit([row])
    return row


def _send_on_commit(rows: list[OutboxTask]) -> None:
    for row in rows:
        item = (row.pk, row.task, row.kwargs, row.request_id)
        transaction.on_commit(lambda item=item: _committed(item), robust=True)


@contextmanager
def recorded_together() -> Iterator[None]:
    """The tasks recorded inside the block are written by one INSERT when it ends, rather than
    one INSERT each (a report records three). Use it inside the transaction that calls for the
    tasks; until the block ends, the rows task_enqueue returns have no id. A block that raises
    records none of its tasks: the work that called for them failed."""
    if getattr(_recording, "rows", None) is not None:
        yield
        return
    _recording.rows = []
    try:
        yield
        rows = _recording.rows
    finally:
        _recording.rows = None
    if rows:
        OutboxTask.objects.bulk_create(rows)
        _send_on_commit(rows)


def _committed(item: Item) -> None:
    waiting = getattr(_together, "items", None)
    if waiting is None:
        _send_all([item])
    else:
        waiting.append(item)


@contextmanager
def sent_together() -> Iterator[None]:
    """The tasks recorded by transactions that commit inside the block are sent when it ends,
    over one broker connection and marked sent by one UPDATE, rather than each on its own
    right after its commit: a report queues three tasks, and sending them one by one cost
    about 5 ms of its 30 (bench/RESULTS.md, sixth round). A task whose transaction rolls back
    is never sent, as without the block; an inner block leaves the sending to the outer one."""
    if getattr(_together, "items", None) is not None:
        yield
        return
    _together.items = []
    try:
        yield
    finally:
        items, _together.items = _together.items, None
        if items:
            try:
                _send_all(items)
            except Exception:
                # As a robust on_commit callback would: the writes stand whatever happens here,
                # and the relay sends what was not marked sent.
                logger.exception("sending %d committed task(s) failed", len(items))


def _send_all(items: list[Item]) -> list[int]:
    """Publishes the tasks in order and marks their rows sent, or records why the broker
    refused them (after a refusal the rest are not tried: the relay sends them later). Each
    task carries the request id of the write that recorded it, even when the relay sends it.
    Returns the ids of the rows sent."""
    if app.conf.task_always_eager:
        # Eager mode (tests that run tasks in their own process) runs the tasks here, as
        # delay() would; there is no broker to tell.
        for _row_id, name, kwargs, _request_id in items:
            app.tasks[name].apply(kwargs=kwargs)
        sent = [row_id for row_id, *_rest in items]
        OutboxTask.objects.filter(pk__in=sent).update(
            sent_at=timezone.now(), attempts=F("attempts") + 1
        )
        return sent
    sent = []
    error = ""
    try:
        # No retries here: a request must not wait on a broker that is down; the relay retries.
        with app.producer_or_acquire() as producer:
            # A pooled connection is reused; a dead one gets one quick reconnect, not kombu's
            # default patient retries, which would hold the request for many seconds.
            producer.connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0.2, interval_max=0.2, timeout=2
            )
            for row_id, name, kwargs, request_id in items:
                # No one waits for the result (the tasks ignore theirs). Without saying so
                # here, send_task subscribes the process to the task's result channel on
                # Redis, and that bookkeeping, never read back, grew for as long as the
                # process lived (about 0.2 KB a task, bench/RESULTS.md, fourth round).
                app.send_task(
                    name,
                    kwargs=kwargs,
                    retry=False,
                    headers={"request_id": request_id} if request_id else None,
                    producer=producer,
                    ignore_result=True,
                )
                sent.append(row_id)
    except Exception as exc:
        error = str(exc)[:1000]
        logger.warning(
            "%d task(s) (outbox #%s…) not sent yet: %s",
            len(items) - len(sent),
            items[len(sent)][0],
            exc,
        )
    if sent:
        OutboxTask.objects.filter(pk__in=sent).update(
            sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
        )
    if error:
        OutboxTask.objects.filter(pk__in=[row_id for row_id, *_rest in items[len(sent) :]]).update(
            attempts=F("attempts") + 1, last_error=error
        )
    return sent


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
            ok = _send_all([(row.pk, row.task, row.kwargs, row.request_id) for row in rows])
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

"""Writes of platform-level records."""

from __future__ import annotations

import socket

from django.db import transaction
from django.utils import timezone

from gridcity.logging import current_request_id
from gridcity.models import Heartbeat


def heartbeat_queue(*, source: str) -> Heartbeat:
    """Records a heartbeat and queues its trip through the broker once the row is committed."""
    from gridcity.outbox import task_enqueue
    from gridcity.tasks import record_heartbeat

    with transaction.atomic():
        beat = Heartbeat.objects.create(source=source, request_id=current_request_id())
        task_enqueue(record_heartbeat, heartbeat_id=beat.pk)
    return beat


def heartbeat_record(*, heartbeat_id: int | None = None, source: str = "beat") -> Heartbeat:
    """Marks a heartbeat as having reached a worker (beat's own trips start here)."""
    now = timezone.now()
    worker = socket.gethostname()
    if heartbeat_id is None:
        return Heartbeat.objects.create(source=source, ran_at=now, worker=worker)
    beat = Heartbeat.objects.get(pk=heartbeat_id)
    beat.ran_at = now
    beat.worker = worker
    beat.worker_request_id = current_request_id()
    beat.save(update_fields=["ran_at", "worker", "worker_request_id"])
    return beat

"""Platform tasks. Tasks only load arguments and call a service."""

from celery import shared_task

from gridcity.outbox import outbox_relay
from gridcity.services import heartbeat_record


@shared_task(name="gridcity.tasks.record_heartbeat")
def record_heartbeat(heartbeat_id: int | None = None, source: str = "beat") -> None:
    heartbeat_record(heartbeat_id=heartbeat_id, source=source)


@shared_task(name="gridcity.tasks.relay_outbox")
def relay_outbox() -> int:
    return outbox_relay()

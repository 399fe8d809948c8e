"""Celery tasks of the cases app. Each only loads its arguments and calls one service."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from cases import services


@shared_task(name="cases.tasks.process_reported_case")
def process_reported_case(case_id: int) -> None:
    services.case_after_report(case_id=case_id)


@shared_task(name="cases.tasks.notify_case_event")
def notify_case_event(event_id: int) -> None:
    services.case_event_notify(event_id=event_id)


@shared_task(
    name="cases.tasks.notify_case_events",
    # Cut off by the soft time limit (a slow database): run again; the events already notified
    # add nothing the second time (per-event dedupe keys).
    autoretry_for=(SoftTimeLimitExceeded,),
    retry_backoff=True,
    max_retries=5,
)
def notify_case_events(event_ids: list[int]) -> None:
    services.case_events_notify(event_ids=event_ids)


@shared_task(name="cases.tasks.make_case_photo_thumbnail")
def make_case_photo_thumbnail(photo_id: int) -> None:
    services.photo_thumbnail_make(photo_id=photo_id)


@shared_task(name="cases.tasks.sweep_case_timers")
def sweep_case_timers() -> int:
    return services.sweep_case_timers()

"""Celery tasks of the departments app: each loads its arguments and calls one service."""

from __future__ import annotations

from celery import Task, shared_task
from django.conf import settings

from departments.services import DeliveryFailed, calendar_schedule_warn, delivery_send


@shared_task(
    bind=True,
    name="departments.tasks.deliver_notice",
    autoretry_for=(DeliveryFailed,),
    retry_backoff=settings.GRIDCITY_NOTIFY_RETRY_BACKOFF,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=settings.GRIDCITY_NOTIFY_MAX_RETRIES,
)
def deliver_notice(self: Task, delivery_id: int) -> str:
    final = self.request.retries >= (self.max_retries or 0)
    return delivery_send(delivery_id=delivery_id, final=final).status


@shared_task(name="departments.tasks.warn_unknown_holiday_schedule")
def warn_unknown_holiday_schedule() -> int:
    return calendar_schedule_warn()

"""Celery tasks of the reports app: each loads its arguments and calls one service."""

from __future__ import annotations

from celery import shared_task

from reports.services import export_build, fact_changes_compact, subscriptions_deliver


@shared_task(name="reports.tasks.build_report_export")
def build_report_export(export_id: int) -> str:
    return export_build(export_id=export_id).state


@shared_task(name="reports.tasks.send_scheduled_reports")
def send_scheduled_reports(frequency: str) -> int:
    return subscriptions_deliver(frequency=frequency)


@shared_task(name="reports.tasks.compact_fact_changes")
def compact_fact_changes() -> int:
    return fact_changes_compact()

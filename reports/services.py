"""Writes of the reports app: asking for an export, building it on a worker, delivering the
scheduled weekly and monthly reports to subscribers, and compacting the record of changes that
the kept counts of past periods are checked against."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from departments.services.notices import notify
from gridcity.errors import NotFound, ValidationFailed
from gridcity.outbox import task_enqueue
from reports.counting import ROLL_KEPT
from reports.files import WRITERS, title_for
from reports.indices import Options, Period, PeriodKind, period_of
from reports.models import FactVersion, PeriodCounts, ReportExport, ReportSubscription
from reports.selectors import dimension_get, facts_for_user, report_build, report_scope

logger = logging.getLogger(__name__)

KINDS = {k for k, _label in PeriodKind.CHOICES}
MAX_CUSTOM_DAYS = 3 * 366


def period_parse(params: dict[str, Any], *, today: date | None = None) -> Period:
    """A period from query parameters: kind + day (any day inside it), or first + last."""
    today = today or timezone.localdate()
    kind = params.get("kind") or PeriodKind.WEEK
    if kind not in KINDS:
        raise ValidationFailed(_("统计周期无效。"), code="invalid_period")
    try:
        if kind == PeriodKind.CUSTOM:
            first = date.fromisoformat(params.get("first") or "")
            last = date.fromisoformat(params.get("last") or "")
            if last < first or (last - first).days > MAX_CUSTOM_DAYS:
                raise ValidationFailed(_("自定义时段无效（最长三年）。"), code="invalid_period")
            return Period(kind, first, last)
        day = date.fromisoformat(params["day"]) if params.get("day") else today
    except ValueError as exc:
        raise ValidationFailed(_("日期格式应为 YYYY-MM-DD。"), code="invalid_date") from exc
    return period_of(kind, day)


def export_request(*, user: AbstractBaseUser, params: dict[str, Any], format: str) -> ReportExport:
    """Queue an export of the report the user is looking at; a worker builds it."""
    from reports.tasks import build_report_export

    report_scope(user=user)
    if format not in ReportExport.Format.values:
        raise ValidationFailed(_("导出格式无效。"), code="invalid_format")
    period = period_parse(params)
    dimension = dimension_get(params.get("dimension") or "department")
    clean = {
        "kind": period.kind,
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
        "dimension": dimension.key,
    }
    with transaction.atomic():
        export = ReportExport.objects.create(owner=user, format=format, params=clean)
        task_enqueue(build_report_export, export_id=export.pk)
    return export


def _stored_period(params: dict[str, Any]) -> Period:
    return Period(
        params["kind"], date.fromisoformat(params["first"]), date.fromisoformat(params["last"])
    )


def export_title(export: ReportExport) -> str:
    return title_for(dimension_get(export.params["dimension"]), _stored_period(export.params))


def export_build(*, export_id: int) -> ReportExport:
    """Build the file of an export, recording progress as it goes."""
    export = ReportExport.objects.select_related("owner").filter(pk=export_id).first()
    if export is None:
        raise NotFound(_("导出任务不存在。"), code="export_not_found")
    if export.state == ReportExport.State.DONE:
        return export

    def progress(percent: int) -> None:
        export.progress = max(0, min(percent, 99))
        export.save(update_fields=["progress"])

    export.state = ReportExport.State.RUNNING
    export.progress = 5
    export.save(update_fields=["state", "progress"])
    try:
        period = _stored_period(export.params)
        dimension = dimension_get(export.params["dimension"])
        report = report_build(
            facts=facts_for_user(user=export.owner),
            period=period,
            dimension=dimension,
            options=Options.from_settings(),
        )
        progress(50)
        content = WRITERS[export.format](report, progress)
        name = f"report-{dimension.key}-{period.first:%Y%m%d}-{period.last:%Y%m%d}.{export.format}"
        export.file.save(name, ContentFile(content), save=False)
    except Exception as exc:
        logger.exception("report export %s failed", export_id)
        export.state = ReportExport.State.FAILED
        export.error = str(exc)[:500]
        export.finished_at = timezone.now()
        export.save(update_fields=["state", "error", "finished_at"])
        raise
    export.state = ReportExport.State.DONE
    export.progress = 100
    export.finished_at = timezone.now()
    export.save(update_fields=["file", "state", "progress", "finished_at"])
    return export


def export_get_for_user(*, user: AbstractBaseUser, export_id: int) -> ReportExport:
    """An export of the user's own (others' exports do not exist for them)."""
    export = ReportExport.objects.filter(pk=export_id, owner_id=user.pk).first()
    if export is None:
        raise NotFound(_("导出任务不存在。"), code="export_not_found")
    return export


def last_complete_period(frequency: str, today: date) -> Period:
    return period_of(frequency, period_of(frequency, today).first - timedelta(days=1))


def subscriptions_deliver(*, frequency: str, today: date | None = None) -> int:
    """Build last week's (or month's) report for each active subscriber, scoped to them, and
    send it by email with the file attached and/or as an in-app notice. Returns how many."""
    today = today or timezone.localdate()
    period = last_complete_period(frequency, today)
    sent = 0
    subscriptions = ReportSubscription.objects.filter(
        frequency=frequency, is_active=True, user__is_active=True
    ).select_related("user")
    for sub in subscriptions:
        params = {
            "kind": period.kind,
            "first": period.first.isoformat(),
            "last": period.last.isoformat(),
            "dimension": sub.dimension,
        }
        export = ReportExport.objects.create(owner=sub.user, format=sub.format, params=params)
        try:
            export = export_build(export_id=export.pk)
        except Exception:  # one subscriber's failure must not stop the others
            logger.exception("scheduled report for subscription %s failed", sub.pk)
            continue
        title = title_for(dimension_get(sub.dimension), period)
        link = reverse("reports:export_download", args=[export.pk])
        if sub.by_email and sub.user.email:
            message = EmailMessage(
                subject=title,
                body=_("附件是%(title)s。") % {"title": title},
                to=[sub.user.email],
            )
            export.file.open("rb")
            with export.file:
                message.attach(export.file.name.rsplit("/", 1)[-1], export.file.read())
            message.send()
        if sub.by_notice:
            notify(
                recipients=[sub.user],
                kind="report",
                title=title,
                body=_("定期考核报表已生成，可在此下载。"),
                link=link,
                dedupe_key=f"report-{sub.pk}-{period.first}",
            )
        sent += 1
    return sent


# Kept counts are dropped this long after they were counted, so that those of periods nobody
# opens any more do not pile up (a period still opened is counted again on its next view).
KEPT_COUNTS_DAYS = 30
# The versions the facts' changes replaced are kept this long: longer than rolling counts are
# read (reports.counting.ROLL_KEPT), which are dropped once that old.
VERSIONS_KEPT_DAYS = 3
COMPACT_SQL = """
WITH gone AS (DELETE FROM reports_factchange RETURNING day, changes)
INSERT INTO reports_factchange (day, changes) SELECT day, sum(changes) FROM gone GROUP BY day
"""


def fact_changes_compact() -> int:
    """Fold the recorded changes of each day into one row, in one statement: the sum over any
    days, and so every kept signature, is the same before and after, and the writers, who only
    add rows, never wait for it. Drops kept counts older than KEPT_COUNTS_DAYS, rolling counts
    too old to be read and the facts' versions older than VERSIONS_KEPT_DAYS.
    Returns the number of rows left."""
    with connection.cursor() as cursor:
        cursor.execute(COMPACT_SQL)
        left = cursor.rowcount
    now = timezone.now()
    PeriodCounts.objects.filter(computed_at__lt=now - timedelta(days=KEPT_COUNTS_DAYS)).delete()
    PeriodCounts.objects.filter(as_of__lt=now - ROLL_KEPT).delete()
    FactVersion.objects.filter(captured_at__lt=now - timedelta(days=VERSIONS_KEPT_DAYS)).delete()
    return left

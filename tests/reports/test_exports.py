"""Exports: built by a real Celery worker with progress, downloadable by their owner only; the
Excel file opens, the PDF carries its Chinese title, spreadsheet formulas are neutralised; and
the scheduled reports reach their subscribers by email and notice."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from departments.models import Notice
from reports.files import neutralise
from reports.models import ReportExport, ReportSubscription
from reports.services import subscriptions_deliver
from tests.conftest import wait_for
from tests.factories.cases import case_in_state

EVIL = '=HYPERLINK("http://example.org","点我")'


def pdf_title(content: bytes) -> str:
    """The document title from the PDF's info dictionary (a UTF-16 literal string)."""
    raw = re.search(rb"/Title \((.*?)\) /", content, re.S).group(1)
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i : i + 1] == b"\\":
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(0), 8))
                i += 1 + len(octal.group(0))
                continue
            out.append(raw[i + 1])
            i += 2
            continue
        out.append(raw[i])
        i += 1
    return bytes(out).decode("utf-16")


def test_neutralise_prefixes_every_formula_start():
    assert [neutralise(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\t=x", "正常", 5)] == [
        "'=1+1",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\t=x",
        "正常",
        5,
    ]


@pytest.mark.django_db(transaction=True)
def test_export_is_built_by_the_worker_and_opens(world, celery_worker):
    world.sanitation.name = EVIL
    world.sanitation.save(update_fields=["name"])
    case_in_state(world, "closed")
    case_in_state(world, "handling")
    client = Client()
    client.force_login(world.supervisor)
    files = {}

    for fmt in ("csv", "xlsx", "pdf"):
        response = client.post(
            reverse("reports:export_create"),
            {
                "kind": "year",
                "day": date.today().isoformat(),
                "dimension": "department",
                "format": fmt,
            },
        )
        export = ReportExport.objects.get(owner=world.supervisor, format=fmt)
        assert response.status_code == 302
        assert response["Location"] == reverse("reports:export_detail", args=[export.pk])
        status_url = reverse("reports:export_status", args=[export.pk])
        wait_for(
            lambda url=status_url: client.get(url).json()["state"] in ("done", "failed"),
            timeout=60,
            what=f"the {fmt} export",
        )
        status = client.get(status_url).json()
        assert (status["state"], status["progress"]) == ("done", 100), status
        download = client.get(status["download"])
        assert download.status_code == 200
        files[fmt] = b"".join(download.streaming_content)

    book = openpyxl.load_workbook(io.BytesIO(files["xlsx"]))
    sheet = book.active
    assert sheet["A1"].value.startswith("城市管理案件考核报表（主办部门，2026")
    assert sheet["A3"].value == "主办部门"
    assert "'" + EVIL in [row[0] for row in sheet.iter_rows(min_row=4, values_only=True)]
    rows = list(csv.reader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    assert rows[0][0].startswith("城市管理案件考核报表")
    assert [row[0] for row in rows[3:] if EVIL in row[0]] == ["'" + EVIL]
    assert files["pdf"].startswith(b"%PDF-") and files["pdf"].rstrip().endswith(b"%%EOF")
    assert pdf_title(files["pdf"]).startswith("城市管理案件考核报表（主办部门")
    assert b"STSong-Light" in files["pdf"]


@pytest.mark.django_db
def test_export_is_downloadable_by_its_owner_only(
    world, tasks_in_process, django_capture_on_commit_callbacks
):
    owner, other = Client(), Client()
    owner.force_login(world.supervisor)
    other.force_login(world.department_lead)

    with django_capture_on_commit_callbacks(execute=True):
        owner.post(
            reverse("reports:export_create"),
            {"kind": "month", "dimension": "grid", "format": "csv"},
        )
    export = ReportExport.objects.get(owner=world.supervisor)

    assert export.state == "done"
    assert owner.get(reverse("reports:export_download", args=[export.pk])).status_code == 200
    assert other.get(reverse("reports:export_download", args=[export.pk])).status_code == 404
    assert other.get(reverse("reports:export_status", args=[export.pk])).status_code == 404


def test_scheduled_weekly_report_reaches_the_subscriber_by_email_and_notice(fortnight, world):
    world.supervisor.email = "kaohe@example.org"
    world.supervisor.save(update_fields=["email"])
    ReportSubscription.objects.create(
        user=world.supervisor, frequency="week", dimension="department", format="xlsx"
    )

    sent = subscriptions_deliver(frequency="week", today=date(2026, 3, 18))

    assert sent == 1
    (message,) = mail.outbox
    assert message.to == ["kaohe@example.org"]
    assert "2026-03-09 ~ 2026-03-15" in message.subject
    name, content, _mime = message.attachments[0]
    assert name.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    totals = [row for row in sheet.iter_rows(values_only=True) if row[0] == "合计"]
    header = [c.value for c in sheet[3]]
    assert totals[0][header.index("应结案数")] == 9
    notice = Notice.objects.get(recipient=world.supervisor)
    export = ReportExport.objects.get(owner=world.supervisor)
    assert notice.link == reverse("reports:export_download", args=[export.pk])


def test_beat_sends_the_subscribed_frequencies(settings, world):
    entries = [
        settings.CELERY_BEAT_SCHEDULE[k] for k in ("send-weekly-reports", "send-monthly-reports")
    ]

    frequencies = [entry["kwargs"]["frequency"] for entry in entries]

    assert frequencies == list(ReportSubscription.Frequency.values)
    assert {entry["task"] for entry in entries} == {"reports.tasks.send_scheduled_reports"}
    assert [subscriptions_deliver(frequency=f) for f in frequencies] == [0, 0]  # nobody subscribed

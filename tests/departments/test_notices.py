"""Notices: stored at once, copied to email and the SMS webhook by a real Celery worker after
commit, retried with backoff against a failing local gateway, never sent twice; and the
warning about a year whose holiday schedule is unknown."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from departments.models import CalendarYear, Delivery, Notice, NotificationPreference
from departments.roles import Role
from departments.selectors import calendar_unknown_years
from departments.services import (
    calendar_schedule_warn,
    delivery_retry,
    delivery_send,
    notice_mark_read,
    notify,
)
from tests.conftest import wait_for
from tests.factories.departments import person_with_roles


class Gateway:
    """A local SMS gateway that answers 503 to the first `failures` requests, then 200."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.requests: list[tuple[dict, str]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                gateway.requests.append((body, self.headers.get("Idempotency-Key", "")))
                failing = len(gateway.requests) <= gateway.failures
                self.send_response(503 if failing else 200)
                self.end_headers()
                self.wfile.write(b'{"ok": false}' if failing else b'{"ok": true}')

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway_factory(settings) -> Iterator:
    started: list[Gateway] = []

    def start(failures: int) -> Gateway:
        gateway = Gateway(failures)
        settings.GRIDCITY_SMS_WEBHOOK_URL = gateway.url
        started.append(gateway)
        return gateway

    yield start
    for gateway in started:
        gateway.close()


def sms_person(**prefs: bool):
    user = person_with_roles(Role.HANDLER, phone="13800000000")
    NotificationPreference.objects.create(user=user, **prefs)
    return user


def test_notify_stores_notices_and_queues_deliveries_after_commit(
    db, settings, django_capture_on_commit_callbacks
):
    settings.GRIDCITY_SMS_WEBHOOK_URL = "http://127.0.0.1:9/sms"
    both = sms_person(email=True, sms=True)
    inbox_only = sms_person(email=False, sms=False)

    with django_capture_on_commit_callbacks() as callbacks:
        stored = notify(
            recipients=[both, inbox_only, both], kind="case_dispatched", title="新案件", body="b"
        )

    assert stored == 2
    assert Notice.objects.filter(kind="case_dispatched").count() == 2
    assert set(Delivery.objects.values_list("channel", flat=True)) == {"email", "sms"}
    assert len(callbacks) == 2


def test_notify_with_the_same_dedupe_key_stores_once(db):
    user = person_with_roles(Role.DISPATCHER)

    first = notify(recipients=[user], kind="k", title="t", body="b", dedupe_key="case-1-overdue")
    second = notify(recipients=[user], kind="k", title="t", body="b", dedupe_key="case-1-overdue")

    assert (first, second) == (1, 0)
    assert Notice.objects.filter(recipient=user).count() == 1


def test_notify_muted_kinds_go_to_the_inbox_only(db):
    user = person_with_roles(Role.HANDLER)
    NotificationPreference.objects.create(user=user, email=True, muted_kinds=["case_urged"])

    notify(recipients=[user], kind="case_urged", title="督办", body="")

    assert Notice.objects.filter(recipient=user).count() == 1
    assert not Delivery.objects.exists()


def test_email_delivery_sends_once_even_when_run_twice(db):
    user = person_with_roles(Role.HANDLER)
    notify(recipients=[user], kind="k", title="派遣通知", body="请处理", link="/cases/1/")
    delivery = Delivery.objects.get(channel="email")

    delivery_send(delivery_id=delivery.pk)
    delivery_send(delivery_id=delivery.pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "派遣通知"
    assert "/cases/1/" in mail.outbox[0].body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)


def test_final_failed_attempt_is_recorded_and_can_be_retried(db, gateway_factory):
    gateway = gateway_factory(failures=100)
    user = sms_person(email=False, sms=True)
    notify(recipients=[user], kind="k", title="t", body="b")
    delivery = Delivery.objects.get(channel="sms")

    delivery_send(delivery_id=delivery.pk, final=True)

    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert "503" in delivery.last_error
    assert delivery_retry(delivery_ids=[delivery.pk]) == 1
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert len(gateway.requests) == 1


def test_a_failed_attempt_that_is_not_final_raises_for_celery_to_retry(db, gateway_factory):
    from departments.services import DeliveryFailed

    gateway_factory(failures=1)
    user = sms_person(email=False, sms=True)
    notify(recipients=[user], kind="k", title="t", body="b")
    delivery = Delivery.objects.get(channel="sms")

    with pytest.raises(DeliveryFailed):
        delivery_send(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_webhook_delivery_is_retried_with_backoff_by_the_worker(celery_worker, gateway_factory):
    gateway = gateway_factory(failures=2)
    user = sms_person(email=False, sms=True)

    notify(recipients=[user], kind="case_dispatched", title="新案件", body="请于 4 小时内处置")
    delivery = Delivery.objects.get(channel="sms")

    def sent() -> bool:
        delivery.refresh_from_db()
        return delivery.status == Delivery.Status.SENT

    wait_for(sent, timeout=90, what="the SMS delivery to succeed after two failures")
    assert delivery.attempts == 3
    assert len(gateway.requests) == 3
    bodies = [body for body, _ in gateway.requests]
    assert bodies[-1]["phone"] == "13800000000"
    assert bodies[-1]["title"] == "新案件"
    assert {key for _, key in gateway.requests} == {f"gridcity-delivery-{delivery.pk}"}


# ---------------------------------------------------------------- calendar warning
def test_unknown_years_within_the_warning_window(db):
    assert calendar_unknown_years(today=date(2026, 3, 1), weeks=8) == []
    assert calendar_unknown_years(today=date(2099, 6, 1), weeks=8) == [2099]
    assert calendar_unknown_years(today=date(2099, 11, 23), weeks=8) == [2099, 2100]


def test_a_confirmed_local_year_is_known_and_a_provisional_one_is_not(db):
    CalendarYear.objects.create(year=2099, status=CalendarYear.Status.CONFIRMED)
    CalendarYear.objects.create(year=2100, status=CalendarYear.Status.PROVISIONAL)

    assert calendar_unknown_years(today=date(2099, 11, 23), weeks=8) == [2100]


def test_calendar_warning_tells_administrators_once_a_week(db, settings):
    settings.GRIDCITY_CALENDAR_WARN_WEEKS = 8
    admin = person_with_roles(Role.ADMINISTRATOR)
    person_with_roles(Role.DISPATCHER)
    CalendarYear.objects.create(year=2099, status=CalendarYear.Status.CONFIRMED)

    first = calendar_schedule_warn(today=date(2099, 11, 23))
    same_week = calendar_schedule_warn(today=date(2099, 11, 24))
    next_week = calendar_schedule_warn(today=date(2099, 11, 30))

    assert (first, same_week, next_week) == (1, 0, 1)
    notice = Notice.objects.filter(recipient=admin).first()
    assert "2100" in notice.title
    assert Notice.objects.count() == 2


def test_notice_mark_read_touches_only_own_notices(db):
    me, other = person_with_roles(Role.HANDLER), person_with_roles(Role.HANDLER)
    notify(recipients=[me, other], kind="k", title="t", body="")
    ids = list(Notice.objects.values_list("pk", flat=True))

    assert notice_mark_read(user=me, notice_ids=ids) == 1
    assert Notice.objects.unread().get().recipient == other

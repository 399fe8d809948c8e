"""Notices: stored for the in-app inbox at once, copied to email and the SMS gateway by Celery
after the transaction commits, so a request never waits for a mail server or a gateway."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from departments.models import Delivery, Notice, NotificationPreference
from gridcity.outbox import task_enqueue


class DeliveryFailed(Exception):
    """A channel refused or did not answer; the task retries with backoff."""


def notify(
    *,
    recipients: Iterable[AbstractBaseUser],
    kind: str,
    title: str,
    body: str,
    link: str = "",
    dedupe_key: str = "",
) -> int:
    """Stores one notice per recipient (a recipient who already has `dedupe_key` is skipped)
    and queues its email/SMS copies per the person's preferences once the surrounding
    transaction commits. Returns the number of notices stored."""
    from departments.tasks import deliver_notice

    people = list({user.pk: user for user in recipients if user.is_active}.values())
    if not people:
        return 0
    preferences = {
        pref.user_id: pref
        for pref in NotificationPreference.objects.filter(user__in=[u.pk for u in people])
    }
    sms_url = settings.GRIDCITY_SMS_WEBHOOK_URL
    stored = 0
    with transaction.atomic():
        for user in people:
            notice = _store(user, kind=kind, title=title, body=body, link=link, key=dedupe_key)
            if notice is None:
                continue
            stored += 1
            pref = preferences.get(user.pk) or NotificationPreference(user=user)
            if kind in (pref.muted_kinds or []):
                continue
            deliveries = []
            if pref.email and user.email:
                deliveries.append(
                    Delivery(notice=notice, channel=Delivery.Channel.EMAIL, address=user.email)
                )
            phone = getattr(getattr(user, "person", None), "phone", "")
            if pref.sms and phone and sms_url:
                deliveries.append(
                    Delivery(
                        notice=notice,
                        channel=Delivery.Channel.SMS,
                        address=phone,
                        endpoint=sms_url,
                    )
                )
            for delivery in Delivery.objects.bulk_create(deliveries):
                task_enqueue(deliver_notice, delivery_id=delivery.pk)
    return stored


def _store(
    user: AbstractBaseUser, *, kind: str, title: str, body: str, link: str, key: str
) -> Notice | None:
    if key and Notice.objects.filter(recipient=user, dedupe_key=key).exists():
        return None
    try:
        # A savepoint, so that a concurrent insert of the same key only skips this recipient.
        with transaction.atomic():
            return Notice.objects.create(
                recipient=user, kind=kind, title=title[:200], body=body, link=link, dedupe_key=key
            )
    except IntegrityError:
        if key:
            return None
        raise


@transaction.atomic
def notice_mark_read(*, user: AbstractBaseUser, notice_ids: Iterable[int]) -> int:
    return Notice.objects.filter(
        recipient=user, pk__in=list(notice_ids), read_at__isnull=True
    ).update(read_at=timezone.now())


def delivery_send(*, delivery_id: int, final: bool = False) -> Delivery:
    """Sends one delivery unless it was sent already. The row stays locked while sending, so a
    re-delivered task waits and then sees it sent. A failure is recorded and raised again
    (so Celery retries) unless this was the `final` attempt, which marks it failed."""
    error: DeliveryFailed | None = None
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .select_related("notice", "notice__recipient")
            .get(pk=delivery_id)
        )
        if delivery.status != Delivery.Status.PENDING:
            return delivery
        delivery.attempts += 1
        try:
            _send(delivery)
        except DeliveryFailed as exc:
            error = exc
            delivery.last_error = str(exc)[:2000]
            if final:
                delivery.status = Delivery.Status.FAILED
        else:
            delivery.status = Delivery.Status.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
        delivery.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    if error is not None and not final:
        raise error
    return delivery


def _send(delivery: Delivery) -> None:
    notice = delivery.notice
    if delivery.channel == Delivery.Channel.EMAIL:
        text = notice.body + (f"\n\n{notice.link}" if notice.link else "")
        try:
            send_mail(notice.title, text, None, [delivery.address], fail_silently=False)
        except OSError as exc:
            raise DeliveryFailed(f"email to {delivery.address}: {exc}") from exc
        return
    payload = {
        "delivery_id": delivery.pk,
        "phone": delivery.address,
        "kind": notice.kind,
        "title": notice.title,
        "body": notice.body,
        "link": notice.link,
    }
    request = urllib.request.Request(  # noqa: S310 - the URL is the operator's own setting
        delivery.endpoint,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={
            "Content-Type": "application/json; charset=utf-8",
            # Lets the gateway drop a copy it already accepted if our "sent" mark was lost.
            "Idempotency-Key": f"gridcity-delivery-{delivery.pk}",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.GRIDCITY_NOTIFY_HTTP_TIMEOUT
        ) as response:
            if not 200 <= response.status < 300:
                raise DeliveryFailed(f"SMS gateway answered {response.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"SMS gateway answered {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryFailed(f"SMS gateway unreachable: {exc}") from exc


@transaction.atomic
def delivery_retry(*, delivery_ids: Iterable[int]) -> int:
    """Puts failed deliveries back in the queue (an operator's action after fixing a gateway)."""
    from departments.tasks import deliver_notice

    rows = list(
        Delivery.objects.select_for_update()
        .filter(pk__in=list(delivery_ids), status=Delivery.Status.FAILED)
        .order_by("pk")
    )
    for row in rows:
        row.status = Delivery.Status.PENDING
        row.save(update_fields=["status"])
        task_enqueue(deliver_notice, delivery_id=row.pk)
    return len(rows)

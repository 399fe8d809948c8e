"""Idempotency keys for write requests: the first answer to (user, key) is stored in the same
transaction as the write, and a retry gets that answer back instead of a second write."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cases.models import IdempotencyRecord
from gridcity.errors import Conflict, ValidationFailed

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    replayed: bool = False


def request_fingerprint(*, data: Mapping[str, Any], files: Mapping[str, list[bytes]]) -> str:
    """A digest of what was asked: the fields (order-insensitive) and every file's content."""
    digest = hashlib.sha256()
    digest.update(json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode())
    for name in sorted(files):
        for content in files[name]:
            digest.update(name.encode())
            digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()


def idempotent_call(
    *,
    user: AbstractBaseUser,
    key: str,
    endpoint: str,
    fingerprint: str,
    call: Callable[[], tuple[int, Any]],
) -> Answer:
    """Run ``call`` once per (user, key). The record is inserted first: a concurrent retry
    blocks on the unique index until the first request commits, then reads its answer; if the
    first request failed, nothing was stored and the retry runs for real.

    A domain error rolls the record back with the write, so a corrected retry may reuse the key.
    """
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed(
            _("Idempotency-Key 必须是 1–%(n)d 个可打印字符。") % {"n": MAX_KEY_LENGTH},
            code="idempotency_key_invalid",
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, key=key, endpoint=endpoint, request_hash=fingerprint
                )
        except IntegrityError:
            record = IdempotencyRecord.objects.get(user=user, key=key)
            if record.endpoint != endpoint or record.request_hash != fingerprint:
                raise Conflict(
                    _("该 Idempotency-Key 已用于另一个请求（%(endpoint)s），请换一个新的键。")
                    % {"endpoint": record.endpoint},
                    code="idempotency_key_reused",
                ) from None
            return Answer(record.response_status or 200, record.response_body, replayed=True)
        status, body = call()
        record.response_status = status
        record.response_body = body
        record.save(update_fields=["response_status", "response_body"])
    return Answer(status, body)

"""The one clock every case service reads, so that a simulation or a test can play time forward
without touching the system clock (a context variable: each thread sees its own setting)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_frozen: ContextVar[datetime | None] = ContextVar("cases_clock", default=None)


def now() -> datetime:
    """The current time: the played time inside ``played_at``, else the real one."""
    return _frozen.get() or timezone.now()


@contextmanager
def played_at(moment: datetime) -> Iterator[None]:
    """Run the block as if it were ``moment`` (aware datetimes only)."""
    if timezone.is_naive(moment):
        raise ValueError("played_at needs an aware datetime")
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)

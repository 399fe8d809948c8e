"""Rate limit per client key: a fixed-window counter in the shared cache (Redis), so every web
process counts the same requests. A cache outage lets requests through rather than refusing
citizens' reports (the cache is configured to ignore its own errors)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from gridcity.errors import DomainError


class RateLimited(DomainError):
    code = "rate_limited"
    http_status = 429


def limit() -> tuple[int, int]:
    """(requests, seconds) allowed per key."""
    return (
        int(getattr(settings, "GRIDCITY_OPEN311_RATE_LIMIT_REQUESTS", 60)),
        int(getattr(settings, "GRIDCITY_OPEN311_RATE_LIMIT_SECONDS", 60)),
    )


def rate_limit_check(*, client_id: int) -> None:
    """Count one request of the client, or raise RateLimited once the window is full."""
    allowed, seconds = limit()
    window = int(time.time() // seconds)
    key = f"open311:rate:{client_id}:{window}"
    cache.add(key, 0, timeout=seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr: a new window starts
        cache.set(key, 1, timeout=seconds + 1)
        count = 1
    if count is not None and count > allowed:
        retry = seconds - int(time.time()) % seconds
        raise RateLimited(
            _("请求过于频繁：每 %(s)d 秒最多 %(n)d 次，请 %(r)d 秒后重试。")
            % {"s": seconds, "n": allowed, "r": retry},
            retry_after=retry,
        )

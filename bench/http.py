"""A small HTTP load generator: pre-built requests sent over fresh connections by N concurrent
clients (asyncio, one process), each timed from connect to the last byte of the answer. Light
enough that the client takes little of the CPU the server needs."""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench.harness import Stats


@dataclass(frozen=True)
class Auth:
    """A logged-in session: the cookie and the CSRF token DRF's session auth wants on writes."""

    cookie: str
    csrf: str


def session_for(user: object) -> Auth:
    """A server-side session for `user`, as a login would leave it (no password hashing in the
    measured path, as with a real browser that logged in once)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    csrf = secrets.token_urlsafe(24)[:32].replace("-", "a").replace("_", "b")
    cookie = (
        f"{settings.SESSION_COOKIE_NAME}={store.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"
    )
    return Auth(cookie=cookie, csrf=csrf)


def get(path: str, auth: Auth) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {auth.cookie}\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n"
    ).encode()


def multipart_post(
    path: str, auth: Auth, fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> bytes:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, content, content_type) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    body = b"".join(parts)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {auth.cookie}\r\n"
        f"X-CSRFToken: {auth.csrf}\r\nAccept: application/json\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    sample_error: str = ""


async def _one(port: int, raw: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data


async def _run(
    port: int,
    requests: Sequence[bytes],
    *,
    clients: int,
    duration: float | None,
    count: int | None,
    rate: float | None,
    ok: frozenset[int],
) -> tuple[Outcome, float]:
    outcome = Outcome()
    counter = itertools.count()
    started = time.perf_counter()
    stop_at = started + duration if duration else None
    interval = clients / rate if rate else 0.0

    async def client() -> None:
        while True:
            i = next(counter)
            if count is not None and i >= count:
                return
            if stop_at is not None and time.perf_counter() >= stop_at:
                return
            t = time.perf_counter()
            try:
                status, data = await _one(port, requests[i % len(requests)])
            except OSError as exc:
                outcome.errors += 1
                outcome.sample_error = str(exc)
                await asyncio.sleep(0.05)
                continue
            took = time.perf_counter() - t
            outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
            if status in ok:
                outcome.latencies.append(took)
            else:
                outcome.errors += 1
                outcome.sample_error = data[:600].decode(errors="replace")
            if interval:
                await asyncio.sleep(max(0.0, interval - took))

    await asyncio.gather(*(client() for _ in range(clients)))
    return outcome, time.perf_counter() - started


def load(
    name: str,
    port: int,
    requests: Sequence[bytes],
    *,
    clients: int,
    duration: float | None = None,
    count: int | None = None,
    rate: float | None = None,
    ok: Sequence[int] = (200, 201),
) -> Stats:
    """Send the requests (cycling) with `clients` concurrent clients for `duration` seconds or
    `count` requests; `rate` caps requests per second overall."""
    outcome, wall = asyncio.run(
        _run(
            port,
            requests,
            clients=clients,
            duration=duration,
            count=count,
            rate=rate,
            ok=frozenset(ok),
        )
    )
    stats = Stats(name, outcome.latencies, wall, errors=outcome.errors)
    stats.extra["statuses"] = outcome.statuses
    if outcome.sample_error:
        stats.extra["sample_error"] = outcome.sample_error[-300:]
    return stats

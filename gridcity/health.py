"""/healthz: the state of every service the platform needs, for load balancers and operators."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

Check = dict[str, Any]


def check_database() -> Check:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT postgis_lib_version(), current_setting('server_version')")
        postgis, server = cursor.fetchone()
    return {"ok": True, "postgresql": server, "postgis": postgis}


def check_migrations() -> Check:
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [f"{migration.app_label}.{migration.name}" for migration, _ in plan]
    if pending:
        return {"ok": False, "error": f"{len(pending)} unapplied migrations", "pending": pending}
    return {"ok": True}


def check_redis() -> Check:
    timeout = settings.GRIDCITY_HEALTH_TIMEOUT
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL, socket_connect_timeout=timeout, socket_timeout=timeout
    )
    try:
        info = client.info("server")
    finally:
        client.close()
    return {"ok": True, "version": info.get("redis_version")}


def check_workers() -> Check:
    from gridcity.celery import app

    replies = app.control.ping(timeout=settings.GRIDCITY_HEALTH_TIMEOUT) or []
    workers = sorted(name for reply in replies for name in reply)
    if not workers:
        return {"ok": False, "error": "no Celery worker answered the ping"}
    return {"ok": True, "workers": workers}


def check_beat() -> Check:
    """Beat is healthy when its last scheduled heartbeat reached a worker recently.

    Reported but not fatal: a web node stays in rotation while beat is restarted.
    """
    from gridcity.models import Heartbeat

    last = (
        Heartbeat.objects.filter(source=Heartbeat.Source.BEAT, ran_at__isnull=False)
        .order_by("-ran_at")
        .values_list("ran_at", flat=True)
        .first()
    )
    if last is None:
        return {"ok": None, "note": "no scheduled heartbeat has run yet"}
    age = (timezone.now() - last).total_seconds()
    stale = age > settings.GRIDCITY_BEAT_STALE_AFTER_SECONDS
    return {"ok": not stale, "last_heartbeat": last.isoformat(), "age_seconds": round(age)}


def check_outbox() -> Check:
    """Work recorded for the broker but not yet sent. Reported, not fatal: a backlog drains by
    itself once the broker and beat are up; an old one means the relay is not running."""
    from gridcity.outbox import outbox_backlog

    backlog = outbox_backlog()
    age = backlog["oldest_age_seconds"]
    return {"ok": age is None or age <= settings.GRIDCITY_BEAT_STALE_AFTER_SECONDS, **backlog}


def _run(check: Callable[[], Check]) -> Check:
    started = time.monotonic()
    try:
        result = check()
    except Exception as exc:
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    result["ms"] = round((time.monotonic() - started) * 1000, 1)
    return result


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Check] = {"database": _run(check_database)}
    if checks["database"]["ok"]:
        checks["migrations"] = _run(check_migrations)
        checks["beat"] = _run(check_beat)
        checks["outbox"] = _run(check_outbox)
    else:
        checks["migrations"] = {"ok": False, "error": "database unreachable"}
    checks["redis"] = _run(check_redis)
    if checks["redis"]["ok"]:
        checks["celery"] = _run(check_workers)
    else:
        # Pinging workers through a dead broker would only hang until its own time-out.
        checks["celery"] = {"ok": False, "error": "broker unreachable"}
    required = ("database", "migrations", "redis", "celery")
    failing = [name for name in required if not checks[name]["ok"]]
    body = {"status": "fail" if failing else "ok", "failing": failing, "checks": checks}
    return JsonResponse(body, status=503 if failing else 200)

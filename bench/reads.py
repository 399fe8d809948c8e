"""What the read benchmarks share: GET a list of addresses over HTTP against gunicorn as one
user, and run the floor's SQL for the same reads through psycopg, then print both."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from bench import harness


@dataclass(frozen=True)
class Read:
    """One measured read: addresses cycled over HTTP, and the floor doing the same work."""

    name: str
    paths: Sequence[str]
    floor: Callable[[Any, int], None] | None = None


def user_with_role(role: str) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(is_active=True, groups__name=role).order_by("pk").first()
    if user is None:
        raise SystemExit(f"no user with role {role}: load the scale data first")
    return user


def run(
    title: str,
    reads: Sequence[Read],
    *,
    role: str,
    n: int,
    clients: int = 1,
    workers: int = 2,
    ok: Sequence[int] = (200,),
    **notes: Any,
) -> dict[str, Any]:
    from bench import http, servers

    auth = http.session_for(user_with_role(role))
    pairs = []
    with servers.gunicorn(workers=workers) as (port, _proc):
        for read in reads:
            requests = [http.get(path, auth) for path in read.paths]
            http.load("warm-up", port, requests, clients=1, count=min(10, 2 * len(requests)))
            stats = http.load(read.name, port, requests, clients=clients, count=n, ok=ok)
            floor = None
            if read.floor is not None:
                with harness.floor_connection() as conn:
                    for i in range(3):
                        read.floor(conn, i)
                    floor = harness.measure(
                        "  floor (psycopg)", partial(read.floor, conn), n=n, warmup=0
                    )
            pairs.append((stats, floor))
    return harness.report(title, pairs, clients=clients, gunicorn_workers=workers, **notes)

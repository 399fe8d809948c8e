"""The mixed load run: inspectors filing, the command centre accepting, filing and dispatching,
supervisors and the desk reading queues and reports, all at once against gunicorn and a Celery
worker; then the checks that matter after a busy day:

- every report that was answered 201 is stored, and no report was stored twice;
- every touched case's event log is a gap-free chain whose last step is the case's status;
- every touched case's evaluation fact equals a rebuild from its log;
- the outbox has drained: every task the run queued was handed to the broker;
- errors (5xx, refused connections, unexpected 4xx) stay under the bound (0.1 %).

Work is offered open-loop at fixed rates (a scheduler hands jobs to a pool of client threads),
so a slow server shows up as latency and lateness, not as a politely lower rate.

    python -m bench.mixed [--duration 600] [--filing-rate 10] [--action-rate 4] [--read-rate 2]

The same run, shorter and on a small world, is a test (tests/reliability/test_mixed_load.py).
"""

from __future__ import annotations

import argparse
import itertools
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

ERROR_BOUND = 0.001
# The desk's steps: the status a case waits in, the API action, and the role that takes it.
DESK_STEPS = (("reported", "accept"), ("accepted", "file"), ("filed", "dispatch"))
# What the readers open: supervisors their reports and the cases being handled, the desk its
# queues.
SUPERVISOR_READS = (
    "/reports/by/department/?kind=month",
    "/reports/?kind=month",
    "/api/v1/cases/?status=handling",
)
DESK_READS = (
    "/dispatch/queue/?queue=accept",
    "/dispatch/queue/?queue=dispatch&timer_colour=red",
    "/api/v1/cases/?status=filed",
)


@dataclass
class Reporter:
    """An inspector's session and where they report (a point in a grid they patrol)."""

    session: requests.Session
    category_id: int
    lon: float
    lat: float


@dataclass
class Cast:
    """Who takes part: the platform's address, the inspectors, one session per desk action
    (accept, file, dispatch) held by someone with that role, the readers, and the departments
    the dispatcher may choose."""

    base: str
    reporters: list[Reporter]
    desk: dict[str, requests.Session]
    readers: list[tuple[requests.Session, tuple[str, ...]]]  # a session and what it reads
    department_ids: list[int]
    photo: bytes


@dataclass
class Tally:
    """What one kind of job saw."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    lateness: list[float] = field(default_factory=list)
    sample_error: str = ""


@dataclass
class Outcome:
    started_at: datetime
    wall: float
    tallies: dict[str, Tally]
    accepted_ids: list[int]
    touched_ids: set[int]
    contested: int = 0  # 409s: another desk got there first, as in any busy room

    @property
    def total(self) -> int:
        return sum(len(t.latencies) + t.errors for t in self.tallies.values())

    @property
    def errors(self) -> int:
        return sum(t.errors for t in self.tallies.values())

    @property
    def error_rate(self) -> float:
        return self.errors / self.total if self.total else 0.0


def session_with_cookie(base: str, cookie: str, csrf: str) -> requests.Session:
    """A requests session carrying a logged-in cookie and the CSRF header DRF wants."""
    session = requests.Session()
    for part in cookie.split("; "):
        name, _, value = part.partition("=")
        session.cookies.set(name, value)
    # A fresh connection per request, as bench.http does: a kept-alive connection that the
    # server closes while the client reuses it is a client-side race, not a server error.
    session.headers.update(
        {"X-CSRFToken": csrf, "Referer": base, "Accept": "application/json", "Connection": "close"}
    )
    return session


def logged_in(base: str, user: Any) -> requests.Session:
    """A session for `user` as a login leaves it (see bench.http.session_for)."""
    from bench import http

    auth = http.session_for(user)
    return session_with_cookie(base, auth.cookie, auth.csrf)


# ---------------------------------------------------------------- the jobs


class Run:
    def __init__(self, cast: Cast, *, seed: int = 11, timeout: float = 60.0) -> None:
        self.cast = cast
        self.timeout = timeout
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.tallies = {kind: Tally() for kind in ("file", "act", "read")}
        self.accepted: list[int] = []
        self.touched: set[int] = set()
        self.contested = 0
        self.reporter_turn = itertools.count()

    def _record(self, kind: str, took: float, status: int, ok: Iterable[int], body: str) -> bool:
        with self.lock:
            tally = self.tallies[kind]
            tally.statuses[status] = tally.statuses.get(status, 0) + 1
            if status in ok:
                tally.latencies.append(took)
                return True
            tally.errors += 1
            tally.sample_error = f"{status}: {body[:300]}"
            return False

    def _call(self, kind: str, send: Callable[[], requests.Response], ok: Iterable[int]) -> Any:
        started = time.perf_counter()
        try:
            response = send()
        except requests.RequestException as exc:
            self._record(kind, time.perf_counter() - started, 0, (), repr(exc))
            return None
        took = time.perf_counter() - started
        if response.status_code == 409 and 409 in ok:
            with self.lock:
                self.contested += 1
        if not self._record(kind, took, response.status_code, ok, response.text):
            return None
        return response

    def file(self) -> None:
        reporter = self.cast.reporters[next(self.reporter_turn) % len(self.cast.reporters)]
        response = self._call(
            "file",
            lambda: reporter.session.post(
                f"{self.cast.base}/api/v1/cases/",
                data={
                    "source": "inspector",
                    "category": reporter.category_id,
                    "description": "路面有暴露垃圾（混合负载）",
                    "lon": f"{reporter.lon:.7f}",
                    "lat": f"{reporter.lat:.7f}",
                },
                files={"photos": ("photo.jpg", self.cast.photo, "image/jpeg")},
                headers={"Idempotency-Key": uuid.uuid4().hex},
                timeout=self.timeout,
            ),
            ok=(201,),
        )
        if response is not None:
            case_id = response.json()["id"]
            with self.lock:
                self.accepted.append(case_id)
                self.touched.add(case_id)

    def act(self) -> None:
        status, action = self.rng.choice(DESK_STEPS)
        session = self.cast.desk[action]
        listed = self._call(
            "read",
            lambda: session.get(
                f"{self.cast.base}/api/v1/cases/",
                params={"status": status},
                timeout=self.timeout,
            ),
            ok=(200,),
        )
        if listed is None:
            return
        rows = listed.json()["results"]
        if not rows:
            return
        chosen = self.rng.choice(rows)
        data: dict[str, Any] = {"expected_version": chosen["version"], "note": "混合负载"}
        if action == "dispatch":
            data["lead"] = self.rng.choice(self.cast.department_ids)
        response = self._call(
            "act",
            lambda: session.post(
                f"{self.cast.base}/api/v1/cases/{chosen['id']}/{action}/",
                json=data,
                headers={"Idempotency-Key": uuid.uuid4().hex},
                timeout=self.timeout,
            ),
            ok=(200, 409),
        )
        if response is not None:
            with self.lock:
                self.touched.add(chosen["id"])

    def read(self) -> None:
        session, paths = self.rng.choice(self.cast.readers)
        path = self.rng.choice(paths)
        self._call(
            "read",
            lambda: session.get(f"{self.cast.base}{path}", timeout=self.timeout),
            ok=(200,),
        )


def run(
    cast: Cast,
    *,
    duration: float,
    filing_rate: float,
    action_rate: float,
    read_rate: float,
    clients: int = 16,
    seed: int = 11,
) -> Outcome:
    """Offer the three kinds of work at their rates for `duration` seconds; returns what the
    clients saw (the checks come after, in `check`)."""
    from django.utils import timezone

    job_run = Run(cast, seed=seed)
    jobs: queue.Queue[tuple[str, float] | None] = queue.Queue()
    kinds = {"file": job_run.file, "act": job_run.act, "read": job_run.read}
    rates = {"file": filing_rate, "act": action_rate, "read": read_rate}

    def client() -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            kind, due = job
            late = time.perf_counter() - due
            with job_run.lock:
                job_run.tallies[kind].lateness.append(max(0.0, late))
            kinds[kind]()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    started_at = timezone.now()
    started = time.perf_counter()
    next_due = {kind: started for kind, rate in rates.items() if rate > 0}
    while True:
        kind, due = min(next_due.items(), key=lambda item: item[1])
        if due - started >= duration:
            break
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        jobs.put((kind, due))
        next_due[kind] = due + 1.0 / rates[kind]
    for _ in threads:
        jobs.put(None)
    for thread in threads:
        thread.join()
    return Outcome(
        started_at=started_at,
        wall=time.perf_counter() - started,
        tallies=job_run.tallies,
        accepted_ids=job_run.accepted,
        touched_ids=job_run.touched,
        contested=job_run.contested,
    )


# ---------------------------------------------------------------- the checks


def check(outcome: Outcome, *, reporter_ids: Iterable[int], drain_timeout: float = 300) -> dict:
    """What the database says after the run (see the module docstring). Returns the findings;
    `problems` lists every broken guarantee in words (empty when all hold).

    The outbox is drained first, so the work the run queued is in what is checked; the rest
    is read in one snapshot, because the worker and beat go on committing (routing
    suggestions, timer lights) while the checks read, and events read in one statement and
    facts in a later one would straddle such a commit."""
    from django.db import connection, transaction
    from django.db.models import Count

    from cases.facts import facts_differences
    from cases.models import Case, CaseEvent
    from gridcity.models import OutboxTask

    problems: list[str] = []
    deadline = time.monotonic() + drain_timeout
    pending = OutboxTask.objects.filter(created_at__gte=outcome.started_at, sent_at__isnull=True)
    while pending.exists() and time.monotonic() < deadline:
        time.sleep(2)
    left = dict(pending.values_list("task").annotate(n=Count("pk")).values_list("task", "n"))
    if left:
        problems.append(f"outbox not drained after {drain_timeout:.0f} s: {left}")
    accepted = set(outcome.accepted_ids)
    if len(accepted) != len(outcome.accepted_ids):
        problems.append("the same case id was answered to two reports")
    touched = sorted(outcome.touched_ids)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        stored = set(Case.objects.filter(pk__in=accepted).values_list("pk", flat=True))
        created = set(
            Case.objects.filter(
                reported_at__gte=outcome.started_at, reporter_id__in=list(reporter_ids)
            ).values_list("pk", flat=True)
        )
        broken = _broken_chains(touched, Case, CaseEvent)
        differences = []
        for start in range(0, len(touched), 2000):
            differences += facts_differences(case_ids=touched[start : start + 2000])
    missing = accepted - stored
    if missing:
        problems.append(f"{len(missing)} accepted reports are missing: {sorted(missing)[:10]}")
    unanswered = created - accepted
    if len(unanswered) > outcome.tallies["file"].errors:
        # A report stored although its client saw an error is possible (the answer was lost);
        # more such reports than errors means a report was stored twice.
        problems.append(f"{len(unanswered)} reports stored without a 201 answer")
    if broken:
        problems.append(
            f"{len(broken)} cases whose events do not chain to their status: {broken[:10]}"
        )
    if differences:
        problems.append(f"{len(differences)} fact fields differ from the log: {differences[:5]}")
    if outcome.error_rate > ERROR_BOUND:
        problems.append(f"error rate {outcome.error_rate:.3%} above {ERROR_BOUND:.1%}")
    return {
        "accepted_reports": len(accepted),
        "stored_reports": len(stored),
        "stored_without_answer": len(unanswered),
        "touched_cases": len(touched),
        "broken_chains": len(broken),
        "fact_differences": len(differences),
        "outbox_left": left,
        "requests": outcome.total,
        "errors": outcome.errors,
        "error_rate": f"{outcome.error_rate:.3%}",
        "contested_409": outcome.contested,
        "statuses": {kind: tally.statuses for kind, tally in outcome.tallies.items()},
        "sample_errors": {k: t.sample_error for k, t in outcome.tallies.items() if t.sample_error},
        "problems": problems,
    }


def _broken_chains(case_ids: list[int], case_model: Any, event_model: Any) -> list[int]:
    """Cases whose events are not numbered 1..n, do not start with the report, do not follow
    on from each other's status, or end in a status other than the case's."""
    broken = []
    for start in range(0, len(case_ids), 2000):
        chunk = case_ids[start : start + 2000]
        status = dict(case_model.objects.filter(pk__in=chunk).values_list("pk", "status"))
        events: dict[int, list[tuple[int, str, str, str]]] = {}
        for row in (
            event_model.objects.filter(case_id__in=chunk)
            .order_by("case_id", "sequence")
            .values_list("case_id", "sequence", "action", "from_status", "to_status")
        ):
            events.setdefault(row[0], []).append(row[1:])
        for case_id in chunk:
            chain = events.get(case_id, [])
            ok = bool(chain) and chain[0][1] == "report" and chain[0][2] == ""
            ok = ok and [e[0] for e in chain] == list(range(1, len(chain) + 1))
            ok = ok and all(a[3] == b[2] for a, b in itertools.pairwise(chain))
            ok = ok and chain[-1][3] == status.get(case_id)
            if not ok:
                broken.append(case_id)
    return broken


def summary(outcome: Outcome) -> list[Any]:
    """One Stats per kind of job, for bench.harness.report."""
    from bench.harness import Stats

    rows = []
    for kind, tally in outcome.tallies.items():
        stats = Stats(f"mixed: {kind}", tally.latencies, outcome.wall, errors=tally.errors)
        stats.extra["statuses"] = tally.statuses
        late = Stats(f"mixed: {kind} lateness", tally.lateness, outcome.wall)
        stats.extra["late_p95_ms"] = round(late.pct(0.95) * 1000, 1) if tally.lateness else 0
        if tally.sample_error:
            stats.extra["sample_error"] = tally.sample_error
        rows.append(stats)
    return rows


# ---------------------------------------------------------------- the benchmark


def cast_from_demo(base: str, *, reporters: int = 200) -> tuple[Cast, list[int]]:
    """The benchmark city's people: inspectors in their own grids (bench.filing), a desk person
    for each of accept, file and dispatch, supervisors and the desk reading."""
    from django.contrib.auth import get_user_model

    from bench import filing
    from departments.models import Department
    from departments.roles import Role

    user_model = get_user_model()
    items = filing.filings(reporters)
    users = user_model.objects.in_bulk({item.user_id for item in items})
    sessions = {pk: logged_in(base, user) for pk, user in users.items()}
    cast_reporters = [Reporter(sessions[i.user_id], i.category_id, i.lon, i.lat) for i in items]

    def holder(role: Role) -> Any:
        return user_model.objects.filter(groups__name=role.value, is_active=True).order_by("pk")[0]

    desk = {
        "accept": logged_in(base, holder(Role.ACCEPTOR)),
        "file": logged_in(base, holder(Role.SHIFT_LEADER)),
        "dispatch": logged_in(base, holder(Role.DISPATCHER)),
    }
    readers = [
        (logged_in(base, holder(Role.SUPERVISOR)), SUPERVISOR_READS),
        (desk["dispatch"], DESK_READS),
    ]
    departments = list(
        Department.objects.active()
        .exclude(kind=Department.Kind.COMMAND_CENTRE)
        .values_list("pk", flat=True)[:40]
    )
    cast = Cast(base, cast_reporters, desk, readers, departments, filing.jpeg())
    return cast, sorted(users)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0)
    parser.add_argument("--filing-rate", type=float, default=10.0, help="reports per second")
    parser.add_argument("--action-rate", type=float, default=4.0, help="desk actions per second")
    parser.add_argument("--read-rate", type=float, default=2.0, help="page reads per second")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--processes", type=int, default=2, help="Celery worker processes")
    args = parser.parse_args()
    from bench import harness

    harness.setup()
    from bench import filing, servers

    filing.flush_queue()
    with (
        servers.celery_worker(processes=args.processes),
        servers.celery_beat(),
        servers.gunicorn(workers=args.workers) as (port, _web),
    ):
        base = f"http://127.0.0.1:{port}"
        cast, reporter_ids = cast_from_demo(base)
        outcome = run(
            cast,
            duration=args.duration,
            filing_rate=args.filing_rate,
            action_rate=args.action_rate,
            read_rate=args.read_rate,
            clients=args.clients,
        )
        findings = check(outcome, reporter_ids=reporter_ids)
    for key, value in findings.items():
        print(f"   {key}: {value}")
    harness.report(
        "Mixed load run",
        [(stats, None) for stats in summary(outcome)],
        duration_s=args.duration,
        offered={
            "filing_per_s": args.filing_rate,
            "actions_per_s": args.action_rate,
            "reads_per_s": args.read_rate,
        },
        gunicorn_workers=args.workers,
        celery_processes=args.processes,
        checks=findings,
    )
    raise SystemExit(1 if findings["problems"] else 0)


if __name__ == "__main__":
    main()

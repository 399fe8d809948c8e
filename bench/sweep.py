"""Benchmark 5: the timer sweep (cases.services.sweep_case_timers) over the open cases of the
scale data, at the seed's anchor time plus a backlog window: 1 minute of due lights (beat runs
the sweep every minute) and 1 hour (a sweep that was stopped for an hour). Each run is rolled
back, so every run sees the same due cases.

Floor: one statement locking the due cases, recomputing colour, escalation and the next change
in SQL (natural time, as the generated clocks run) and appending their timer events.

    python -m bench.sweep [--n 5] [--windows 60,3600]
"""

# SQL here is composed only from module constants; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from bench import harness

OPEN = "('reported','awaiting_verification','accepted','self_handled','filed','handling'," \
    "'suspended','handled','awaiting_reinspection','awaiting_closing')"  # fmt: skip
FLOOR_SQL = f"""
WITH due AS (
    SELECT id, timer_colour AS old_colour, escalated AS old_escalated,
           step_started_at + (step_deadline - step_started_at) * 0.8 AS yellow,
           step_deadline AS red,
           step_started_at + (step_deadline - step_started_at) * %(escalate)s AS escalate
      FROM cases_case
     WHERE status IN {OPEN} AND next_timer_change_at IS NOT NULL
       AND next_timer_change_at <= %(now)s
     FOR UPDATE SKIP LOCKED),
upd AS (
    UPDATE cases_case c
       SET timer_colour = CASE WHEN %(now)s >= due.red THEN 'red'
                               WHEN %(now)s >= due.yellow THEN 'yellow' ELSE 'green' END,
           escalated = %(now)s >= due.escalate,
           next_timer_change_at = CASE WHEN %(now)s < due.yellow THEN due.yellow
                                       WHEN %(now)s < due.red THEN due.red
                                       WHEN %(now)s < due.escalate THEN due.escalate END
      FROM due WHERE c.id = due.id
    RETURNING c.id, c.status, c.step, c.step_deadline, c.timer_colour, c.escalated,
              due.old_colour, due.old_escalated),
ins AS (
    INSERT INTO cases_caseevent (case_id, sequence, action, actor_id, actor_role, from_status,
                                 to_status, note, data, created_at)
    SELECT upd.id,
           (SELECT max(sequence) FROM cases_caseevent e WHERE e.case_id = upd.id) + 1,
           CASE WHEN upd.timer_colour <> upd.old_colour THEN 'timer_changed' ELSE 'escalated'
           END, NULL, 'system', upd.status, upd.status, '',
           jsonb_build_object('step', upd.step, 'from_colour', upd.old_colour,
                              'colour', upd.timer_colour, 'deadline', upd.step_deadline),
           %(now)s
      FROM upd
     WHERE upd.timer_colour <> upd.old_colour OR (upd.escalated AND NOT upd.old_escalated)
    RETURNING 1)
SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM ins)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5, help="runs per window")
    parser.add_argument("--windows", default="60,3600", help="backlog windows in seconds")
    args = parser.parse_args()
    harness.setup()
    from django.conf import settings
    from django.db import transaction

    from cases.models import Case
    from cases.services import sweep_case_timers

    anchor = harness.anchor()
    escalate = float(getattr(settings, "GRIDCITY_ESCALATE_AT", 1.5))
    open_cases = Case.objects.open().count()
    pairs = []
    due_counts = {}
    for window in [int(w) for w in args.windows.split(",")]:
        moment = anchor + timedelta(seconds=window)
        due = Case.objects.timer_due(now=moment).count()
        due_counts[window] = due
        latencies, changed = [], 0
        started = time.perf_counter()
        for _ in range(args.n):
            with transaction.atomic():
                t = time.perf_counter()
                changed = sweep_case_timers(now=moment)
                latencies.append(time.perf_counter() - t)
                transaction.set_rollback(True)
        stats = harness.Stats(
            f"sweep, {window} s backlog ({due} due)", latencies, time.perf_counter() - started
        )
        stats.extra.update({"due": due, "changed": changed})
        floor_latencies = []
        with harness.floor_connection(autocommit=False) as conn:
            started = time.perf_counter()
            for _ in range(args.n):
                t = time.perf_counter()
                conn.execute(FLOOR_SQL, {"now": moment, "escalate": escalate}).fetchone()
                floor_latencies.append(time.perf_counter() - t)
                conn.rollback()
        floor = harness.Stats("  floor: 1 SQL statement", floor_latencies,
                              time.perf_counter() - started)  # fmt: skip
        pairs.append((stats, floor))
    harness.report(
        "Timer sweep",
        pairs,
        open_cases=open_cases,
        due=due_counts,
        note="latency = one whole sweep; per s = sweeps per second",
    )


if __name__ == "__main__":
    main()

"""Scale-out of the case automation: how many new reports per second Celery works through
(cases.tasks.process_reported_case: routing suggestion, duplicate check, automation rules) with
1, 2 and 4 worker processes. Each run files a fresh batch of reported cases directly in SQL,
starts an idle worker, queues one task per case and times until every case has its suggestion.
No floor: the point is how the rate changes with processes on this machine.

    python -m bench.automation [--batch 600] [--processes 1,2,4]
"""

from __future__ import annotations

import argparse
import time

from bench import harness


def file_batch(count: int, marker: str) -> list[int]:
    """`count` new reported cases (as the filing floor writes them), returning their ids."""
    from django.utils import timezone

    from bench.filing import filings, floor_counter, floor_file

    day = timezone.localdate()
    items = filings(count, seed=int(time.time()) % 10_000)
    with harness.floor_connection() as conn:
        floor_counter(conn, day)
        for item in items:
            floor_file(conn, item, day=day, description=marker, sha="0" * 64)
        return [
            row[0]
            for row in conn.execute(
                "SELECT id FROM cases_case WHERE description = %s ORDER BY id", [marker]
            )
        ]


def wait_for_worker(app: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return
    raise RuntimeError("the Celery worker did not answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=600)
    parser.add_argument("--processes", default="1,2,4")
    args = parser.parse_args()
    harness.setup()
    from bench import servers
    from bench.filing import flush_queue
    from gridcity.celery import app

    pairs = []
    for processes in [int(p) for p in args.processes.split(",")]:
        marker = f"自动处理基准 {processes} {time.time():.0f}"
        ids = file_batch(args.batch, marker)
        flush_queue()
        with servers.celery_worker(processes=processes):
            wait_for_worker(app)
            started = time.perf_counter()
            for pk in ids:
                app.send_task(
                    "cases.tasks.process_reported_case", kwargs={"case_id": pk}, ignore_result=True
                )
            done = 0
            with harness.floor_connection() as conn:
                while time.perf_counter() - started < 600:
                    done = conn.execute(
                        "SELECT count(*) FROM cases_case WHERE id = ANY(%s)"
                        " AND suggested_department_id IS NOT NULL",
                        [ids],
                    ).fetchone()[0]
                    if done >= len(ids):
                        break
                    time.sleep(0.1)
            wall = time.perf_counter() - started
        flush_queue()
        stats = harness.Stats(
            f"process_reported_case, {processes} process(es)", [wall / max(done, 1)] * done, wall
        )
        stats.extra.update({"cases": len(ids), "done": done, "wall_s": round(wall, 1)})
        pairs.append((stats, None))
    harness.report(
        "Case automation scale-out (Celery processes)",
        pairs,
        batch=args.batch,
        note="latency columns = wall time / cases (mean service time), not per-task latency",
    )


if __name__ == "__main__":
    main()

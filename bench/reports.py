"""Benchmark 4: the evaluation reports over the facts of two years of cases — the overview
(/reports/) and every ranking table (/reports/by/{dimension}/) for a month, a quarter and two
years, read by a command-centre account (which sees the whole city).

Floor: per page, one GROUP BY over cases_casefact counting the page's main measures (reports,
accepted, filed, dispatched, closed, closed on time, handled, handled on time, due to close)
for the period and the dimension.

    python -m bench.reports [--n 5] [--dimensions department,grid] [--steps-per-second 1]

With --steps-per-second, the pages are read while the city works: a writer takes that many
steps a second on open cases reported more than a day ago (a city filing 10,000 cases a day
takes about one step a second on them), each an urge (督办), a report back (处置反馈) or a
close (结案). Only the cases' facts are written, which is all the reports read, and a step
changes a day a finished period holds.

With --check, each ranking's counts are then read once more as the pages read them (kept,
rolled forward from a moment) and compared with counting the same facts afresh; a difference
is printed and the run fails.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

from bench import harness, reads

if TYPE_CHECKING:
    from reports.indices import Period

FLOOR_SQL = """
SELECT {group} AS unit,
       count(*) FILTER (WHERE reported_at >= %(start)s AND reported_at < %(end)s
                          AND source = 'inspector') AS reports,
       count(*) FILTER (WHERE accepted_at >= %(start)s AND accepted_at < %(end)s) AS accepted,
       count(*) FILTER (WHERE filed_at >= %(start)s AND filed_at < %(end)s) AS filed,
       count(*) FILTER (WHERE dispatched_at >= %(start)s AND dispatched_at < %(end)s)
           AS dispatched,
       count(*) FILTER (WHERE closed_at >= %(start)s AND closed_at < %(end)s
                          AND dispatched_at IS NOT NULL) AS closed,
       count(*) FILTER (WHERE closed_at >= %(start)s AND closed_at < %(end)s
                          AND outcome = 'on_time') AS closed_on_time,
       count(*) FILTER (WHERE handled_at >= %(start)s AND handled_at < %(end)s) AS handled,
       count(*) FILTER (WHERE handled_at >= %(start)s AND handled_at < %(end)s
                          AND handled_on_time) AS handled_on_time,
       count(*) FILTER (WHERE (closed_at >= %(start)s AND closed_at < %(end)s)
                          OR (handling_deadline >= %(start)s AND handling_deadline < %(end)s
                              AND closed_at IS NULL)) AS due
  FROM cases_casefact
 WHERE (reported_at >= %(start)s AND reported_at < %(end)s)
    OR (closed_at >= %(start)s AND closed_at < %(end)s)
    OR (handling_deadline >= %(start)s AND handling_deadline < %(end)s)
 GROUP BY 1
"""
GROUP = {
    "city": "1",
    "department": "lead_department_id",
    "district": "district_code",
    "street": "street_code",
    "community": "community_code",
    "grid": "grid_code",
    "inspector": "reporter_id",
    "acceptor": "acceptor_id",
    "shift_leader": "filer_id",
    "dispatcher": "dispatcher_id",
    "kind": "category_kind",
    "major": "category_kind || category_major",
    "minor": "category_id",
    "source": "source",
}


OPEN_SQL = """
SELECT case_id FROM cases_casefact
 WHERE closed_at IS NULL AND voided_at IS NULL AND reported_at < now() - interval '1 day'
 ORDER BY random() LIMIT 5000
"""
STEPS_SQL = (
    "UPDATE cases_casefact SET urge_count = urge_count + 1 WHERE case_id = %s",
    "UPDATE cases_casefact SET handled_at = now(), handled_on_time = handling_deadline >= now()"
    " WHERE case_id = %s AND dispatched_at IS NOT NULL AND handled_at IS NULL",
    "UPDATE cases_casefact SET closed_at = now(),"
    " outcome = CASE WHEN handling_deadline >= now() THEN 'on_time' ELSE 'late' END"
    " WHERE case_id = %s AND handled_at IS NOT NULL AND closed_at IS NULL",
)


@contextmanager
def working_city(per_second: float) -> Iterator[dict[str, int]]:
    """A writer taking ``per_second`` steps a second on open cases while the block runs."""
    done = {"steps": 0}
    if per_second <= 0:
        yield done
        return
    stop = threading.Event()

    def work() -> None:
        with harness.floor_connection() as conn:
            cases = [row[0] for row in conn.execute(OPEN_SQL).fetchall()]
            rng = random.Random(5)
            due = time.monotonic()
            while not stop.is_set():
                case = rng.choice(cases)
                for sql in rng.sample(STEPS_SQL, len(STEPS_SQL)):  # the first the case allows
                    if conn.execute(sql, [case]).rowcount:
                        done["steps"] += 1
                        break
                due += 1 / per_second
                stop.wait(max(0.0, due - time.monotonic()))

    writer = threading.Thread(target=work, daemon=True)
    writer.start()
    try:
        yield done
    finally:
        stop.set()
        writer.join()


def period_for(query: str) -> Period:
    """The period a page's query string names, as the page reads it."""
    from reports.services import period_parse

    return period_parse(dict(part.split("=") for part in query.split("&")))


def check(queries: dict[str, str], dimensions: list[str]) -> int:
    """Each ranking counted as its page counts it, twice, and afresh; the number that differ.
    The first read keeps its counts again (as of a few minutes ago, so holding the steps just
    taken as they were then) and the second reads those back."""
    from cases.facts import CaseFact
    from reports import counting
    from reports.counting import count_table
    from reports.indices import DIMENSIONS, Options
    from reports.selectors import facts_for_user

    facts = facts_for_user(user=reads.user_with_role("dispatcher"))
    afresh = facts.filter(pk__in=CaseFact.objects.values("pk"))  # a subquery: never kept
    options = Options.from_settings()
    counting.ROLL_EVERY = timedelta(0)  # in this process only: every read keeps its counts
    wrong = 0
    for label, query in queries.items():
        period = period_for(query)
        for name in dimensions:
            if name == "city":
                continue
            found = [
                count_table(chosen, period=period, dimension=DIMENSIONS[name], options=options)
                for chosen in (facts, facts, afresh)
            ]
            # A unit a change emptied may stay in rolled counts with nothing counted.
            units = [{k: v for k, v in u.items() if any(v.values())} for u, _t in found]
            same = all(u == units[-1] for u in units) and all(t == found[-1][1] for _u, t in found)
            wrong += not same
            verdict = "same" if same else "DIFFERENT"
            print(f"check {label}: {name}: {verdict} ({len(units[-1])} units)")
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5, help="requests per page and period")
    parser.add_argument("--dimensions", default="", help="only these (comma-separated)")
    parser.add_argument(
        "--steps-per-second",
        type=float,
        default=0,
        help="read while a writer takes this many steps a second on open cases",
    )
    parser.add_argument(
        "--check", action="store_true", help="compare the rankings' counts with counting afresh"
    )
    args = parser.parse_args()
    harness.setup()
    from reports.views import TABLE_DIMENSIONS

    now = harness.anchor()
    from django.utils import timezone

    today = timezone.localtime(now).date()
    last_month = today.replace(day=1) - timedelta(days=1)
    periods = {
        "month": f"kind=month&day={last_month.isoformat()}",
        "quarter": f"kind=quarter&day={(today - timedelta(days=92)).isoformat()}",
        "two years": (
            f"kind=custom&first={(today - timedelta(days=729)).isoformat()}"
            f"&last={today.isoformat()}"
        ),
    }
    dimensions = ["city", *TABLE_DIMENSIONS]
    if args.dimensions:
        dimensions = [d for d in dimensions if d in args.dimensions.split(",")]
    read_list = []
    for label, query in periods.items():
        period = period_for(query)
        bounds = {"start": period.start, "end": period.end}
        for dimension in dimensions:
            path = "/reports/" if dimension == "city" else f"/reports/by/{dimension}/"
            sql = FLOOR_SQL.format(group=GROUP[dimension])

            def floor(conn: object, i: int, sql: str = sql, bounds: dict = bounds) -> None:
                conn.execute(sql, bounds).fetchall()

            read_list.append(
                reads.Read(
                    f"{label}: {'overview' if dimension == 'city' else dimension}",
                    [f"{path}?{query}"],
                    floor,
                )
            )
    with harness.floor_connection() as conn:
        facts = conn.execute("SELECT count(*) FROM cases_casefact").fetchone()[0]
    with working_city(args.steps_per_second) as done:
        reads.run(
            "Reports over two years of facts",
            read_list,
            role="dispatcher",
            n=args.n,
            facts=facts,
            periods=periods,
            steps_per_second=args.steps_per_second,
        )
    if args.steps_per_second:
        print(f"steps taken while reading: {done['steps']:,}")
    if args.check and check(periods, dimensions):
        raise SystemExit("the counts the pages read differ from counting afresh")


if __name__ == "__main__":
    main()

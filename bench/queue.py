"""Benchmark 2: the command centre's queue and the case detail, over the scale data (100,000
open cases among 2,000,000).

- API queue: the first page of /api/v1/cases/ filtered by status and timer colour.
- Web queue: the dispatch desk's list partial (/dispatch/queue/?queue=…&timer_colour=…), which
  also counts every queue; and the same list as the desk opens it, every light most urgent first
  (/dispatch/queue/?queue=…).
- Detail: /api/v1/cases/{id}/ of random open cases (history and photos included).

Floors: the page's rows and the pagination count (two statements); the case with its events
and photos as one statement.

    python -m bench.queue [--n 200]
"""

from __future__ import annotations

import argparse
import random

from bench import harness, reads

STATUSES = ("reported", "filed", "handling", "awaiting_reinspection")
COLOURS = ("red", "yellow", "green")
WEB_QUEUES = {"reported": "accept", "filed": "dispatch", "handled": "reinspect"}

LIST_SQL = """
SELECT c.*, k.name, k.code, g.code, d.name, s.name, dup.number
  FROM cases_case c
  JOIN grids_category k ON k.id = c.category_id
  JOIN grids_grid g ON g.id = c.grid_id
  LEFT JOIN departments_department d ON d.id = c.lead_department_id
  LEFT JOIN departments_department s ON s.id = c.suggested_department_id
  LEFT JOIN cases_case dup ON dup.id = c.duplicate_of_id
 WHERE c.status = %(status)s AND c.timer_colour = %(colour)s
 ORDER BY c.reported_at DESC, c.id DESC LIMIT 50
"""
COUNT_SQL = (
    "SELECT count(*) FROM cases_case WHERE status = %(status)s AND timer_colour = %(colour)s"
)
DETAIL_SQL = """
SELECT c.*, k.name, g.code,
       (SELECT json_agg(e ORDER BY e.sequence) FROM cases_caseevent e WHERE e.case_id = c.id),
       (SELECT json_agg(p ORDER BY p.created_at, p.id) FROM cases_casephoto p
         WHERE p.case_id = c.id)
  FROM cases_case c JOIN grids_category k ON k.id = c.category_id
  JOIN grids_grid g ON g.id = c.grid_id
 WHERE c.id = %(id)s
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="requests per read")
    parser.add_argument("--clients", type=int, default=1)
    args = parser.parse_args()
    harness.setup()
    filters = [(s, c) for s in STATUSES for c in COLOURS]
    with harness.floor_connection() as conn:
        open_count = conn.execute(
            "SELECT count(*) FROM cases_case WHERE status NOT IN"
            " ('closed', 'voided', 'not_accepted')"
        ).fetchone()[0]
        total = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]
        ids = [
            row[0]
            for row in conn.execute(
                "SELECT id FROM cases_case WHERE status = ANY(%s) ORDER BY md5(id::text) LIMIT 500",
                [list(STATUSES)],
            )
        ]
    random.Random(3).shuffle(ids)

    def list_floor(conn: object, i: int) -> None:
        status, colour = filters[i % len(filters)]
        conn.execute(LIST_SQL, {"status": status, "colour": colour}).fetchall()
        conn.execute(COUNT_SQL, {"status": status, "colour": colour}).fetchone()

    def detail_floor(conn: object, i: int) -> None:
        conn.execute(DETAIL_SQL, {"id": ids[i % len(ids)]}).fetchall()

    web = [(q, c) for q in ("accept", "dispatch", "reinspect") for c in COLOURS]
    reads.run(
        "Command-centre queue and case detail",
        [
            reads.Read(
                "API queue: /api/v1/cases/?status&timer_colour",
                [f"/api/v1/cases/?status={s}&timer_colour={c}" for s, c in filters],
                list_floor,
            ),
            reads.Read(
                "web queue: /dispatch/queue/?queue&timer_colour",
                [f"/dispatch/queue/?queue={q}&timer_colour={c}" for q, c in web],
            ),
            reads.Read(
                "web queue as opened: /dispatch/queue/?queue",
                [f"/dispatch/queue/?queue={q}" for q in ("accept", "dispatch", "reinspect")],
            ),
            reads.Read(
                "API detail: /api/v1/cases/{id}/",
                [f"/api/v1/cases/{pk}/" for pk in ids],
                detail_floor,
            ),
        ],
        role="dispatcher",
        n=args.n,
        clients=args.clients,
        cases=total,
        open_cases=open_count,
    )


if __name__ == "__main__":
    main()

"""Scale data for the benchmarks: a city of 10,000 grids, 1,000,000 components and 2,000,000
historical cases (100,000 of them open) with their full event logs over two years, built in bulk.

    python -m bench.seed_scale --scale 1        # the full city (minutes)
    python -m bench.seed_scale --scale 0.01     # a smoke run at 1/100

The grids, components, departments and people come from the apps' own demo builders (bulk:
the component import is the COPY-based `components_import`). Cases, events and evaluation facts
are generated in PostgreSQL by INSERT … SELECT from a small table of workflow paths: every path
is a walk through `cases.workflow.TABLE`, so statuses, versions, counters, step clocks and the
facts agree with the events. Historical cases carry no photo rows (two million JPEG files would
measure the disk, not the platform).

`--reset` drops and re-creates the database named by DATABASE_URL first (its owner must be
allowed to create databases), then migrates it.
"""

# SQL here is composed only from module constants (workflow paths, limits); every value is a
# bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench import harness

DAY = 86_400
HISTORY_DAYS = 730
# Step limits of open cases, in natural seconds (the generated clocks run in natural time).
STEP_LIMIT = {
    "accept": 3_600,
    "file": 3_600,
    "dispatch": 3_600,
    "handle": 28_800,
    "reinspect": 7_200,
    "close": 3_600,
}
HANDLING_LIMIT = 28_800  # the handling deadline of historical cases: dispatch + 8 hours
ESCALATE_AT = 1.5  # settings.GRIDCITY_ESCALATE_AT's default; read at run time below
YELLOW_AT = 0.8


@dataclass(frozen=True)
class Step:
    """One event of a path: the action, who takes it, the status after it, and when it happens
    as cumulative offsets in seconds: `cmd` is scaled by the case's command-centre pace, `work`
    by the department's handling pace."""

    action: str
    actor: str  # reporter | system | acceptor | filer | dispatcher | handler | inspector | closer
    to_status: str
    cmd: float
    work: float = 0.0


def _closed_loop(*, rework: bool) -> list[Step]:
    steps = [
        Step("report", "reporter", "reported", 0),
        Step("route_suggested", "system", "reported", 5),
        Step("accept", "acceptor", "accepted", 600),
        Step("file", "filer", "filed", 1_500),
        Step("dispatch", "dispatcher", "handling", 2_400),
        Step("report_handled", "handler", "handled", 2_400, 14_400),
        Step("send_for_reinspection", "acceptor", "awaiting_reinspection", 3_000, 14_400),
    ]
    if rework:
        steps += [
            Step("reinspect_fail", "inspector", "handling", 4_200, 14_400),
            Step("report_handled", "handler", "handled", 4_200, 21_600),
            Step("send_for_reinspection", "acceptor", "awaiting_reinspection", 4_800, 21_600),
        ]
    last = steps[-1]
    steps += [
        Step("reinspect_pass", "inspector", "awaiting_closing", last.cmd + 1_200, last.work),
        Step("close", "closer", "closed", last.cmd + 1_800, last.work),
    ]
    return steps


CLOSED = _closed_loop(rework=False)
PATHS: dict[str, list[Step]] = {
    "closed": CLOSED,
    "rework": _closed_loop(rework=True),
    "not_accepted": [
        Step("report", "reporter", "reported", 0),
        Step("route_suggested", "system", "reported", 5),
        Step("reject", "acceptor", "not_accepted", 900),
    ],
    "voided": [*CLOSED[:4], Step("void", "filer", "voided", 2_100)],
}
# Open cases stop part-way along the closed loop: the status after the path's last event.
OPEN_PATHS = {
    "reported": 2,
    "accepted": 3,
    "filed": 4,
    "handling": 5,
    "handled": 6,
    "awaiting_reinspection": 7,
    "awaiting_closing": 8,
}
for _status, _length in OPEN_PATHS.items():
    PATHS[f"open_{_status}"] = CLOSED[:_length]
# Shares of the historical and of the open cases.
HISTORICAL_MIX = {"closed": 0.86, "rework": 0.05, "not_accepted": 0.06, "voided": 0.03}
OPEN_MIX = {
    "open_reported": 0.08,
    "open_accepted": 0.05,
    "open_filed": 0.07,
    "open_handling": 0.55,
    "open_handled": 0.10,
    "open_awaiting_reinspection": 0.08,
    "open_awaiting_closing": 0.07,
}
STEP_OF = {
    "reported": "accept",
    "accepted": "file",
    "filed": "dispatch",
    "handling": "handle",
    "handled": "reinspect",
    "awaiting_reinspection": "reinspect",
    "awaiting_closing": "close",
}
ROLE_OF_ACTOR = {
    "system": "system",
    "acceptor": "acceptor",
    "filer": "shift_leader",
    "dispatcher": "dispatcher",
    "handler": "handler",
    "inspector": "inspector",
    "closer": "shift_leader",
}


def plan(scale: float) -> dict[str, int]:
    return {
        "grids": round(10_000 * scale),
        "components": round(1_000_000 * scale),
        "cases": round(2_000_000 * scale),
        "open": round(100_000 * scale),
    }


# ---------------------------------------------------------------- the city model and people


def build_city(*, counts: dict[str, int], out: harness.Out) -> None:
    """Grids and components through grids.demo (its scale is in units of 2,000 grids), then the
    departments, rules, calendar and people through departments.demo."""
    import sys

    import departments.demo
    import grids.demo

    demo_scale = counts["grids"] / grids.demo.PER_SCALE["grids"]
    saved = dict(grids.demo.PER_SCALE)
    # The demo's component count follows its scale; ask for the benchmark's count instead.
    grids.demo.PER_SCALE["components"] = max(10, round(counts["components"] / demo_scale))
    try:
        with out.step("grids + components (grids.demo, COPY import)"):
            out.say(grids.demo.seed(scale=demo_scale, stdout=sys.stdout))
    finally:
        grids.demo.PER_SCALE.clear()
        grids.demo.PER_SCALE.update(saved)
    with out.step("departments, rules, calendar, people (departments.demo)"):
        out.say(departments.demo.seed(scale=demo_scale, stdout=_Quiet()))


class _Quiet:
    def write(self, text: str) -> None:
        pass


# ---------------------------------------------------------------- cases, events, facts


def _paths_table(cursor: object) -> None:
    """The workflow paths as rows (path, seq, action, actor, role, from, to, offsets), and one
    summary row per path with what the case and its fact look like at the end of it."""
    cursor.execute(
        "CREATE TEMP TABLE bench_path (path text, seq int, action text, actor text, role text,"
        " from_status text, to_status text, cmd float8, work float8, deadline_cmd float8,"
        " deadline_work float8, changes_version bool)"
    )
    rows = []
    summary = []
    for name, steps in PATHS.items():
        status = ""
        deadline: tuple[float, float] | None = None
        facts: dict[str, tuple[float, float] | None] = {}
        reworks = 0
        for seq, step in enumerate(steps, start=1):
            if step.action in ("dispatch", "reinspect_fail"):
                deadline = (step.cmd, step.work)  # the handling clock (re)starts here
            role = ROLE_OF_ACTOR.get(step.actor, "inspector")
            rows.append(
                (
                    name,
                    seq,
                    step.action,
                    step.actor,
                    role,
                    status,
                    step.to_status,
                    step.cmd,
                    step.work,
                    deadline[0] if deadline else None,
                    deadline[1] if deadline else None,
                    step.action not in ("report", "route_suggested"),
                )
            )
            status = step.to_status
            at = (step.cmd, step.work)
            key = {
                "accept": "accepted",
                "file": "filed",
                "dispatch": "dispatched",
                "reject": "rejected",
                "void": "voided",
                "report_handled": "handled",
                "reinspect_pass": "reinspected",
                "reinspect_fail": "reinspected",
                "close": "closed",
            }.get(step.action)
            if key and not (key in ("accepted", "filed", "dispatched") and key in facts):
                facts[key] = at
            if step.action == "reinspect_fail":
                reworks += 1
                facts["handled"] = None
        last = steps[-1]
        step_started = next(
            (s for s in reversed(steps) if s.action not in ("route_suggested",)), last
        )
        # The handled → awaiting_reinspection move keeps the re-inspection clock running.
        if last.action == "send_for_reinspection":
            step_started = steps[-2]
        summary.append(
            {
                "path": name,
                "status": status,
                "events": len(steps),
                "version": 1
                + sum(1 for s in steps if s.action not in ("report", "route_suggested")),
                "rework": reworks,
                "last_cmd": last.cmd,
                "last_work": last.work,
                "step_cmd": step_started.cmd,
                "step_work": step_started.work,
                "deadline_cmd": deadline[0] if deadline else None,
                "deadline_work": deadline[1] if deadline else None,
                **{f"{k}_cmd": (v[0] if v else None) for k, v in facts.items()},
                **{f"{k}_work": (v[1] if v else None) for k, v in facts.items()},
            }
        )
    with cursor.copy(
        "COPY bench_path (path, seq, action, actor, role, from_status, to_status, cmd, work,"
        " deadline_cmd, deadline_work, changes_version) FROM STDIN"
    ) as copy:
        for row in rows:
            copy.write_row(row)
    keys = ("accepted", "filed", "dispatched", "rejected", "voided", "handled", "reinspected",
            "closed")  # fmt: skip
    cursor.execute(
        "CREATE TEMP TABLE bench_path_end (path text PRIMARY KEY, status text, events int,"
        " version int, rework int, last_cmd float8, last_work float8, step_cmd float8,"
        " step_work float8, deadline_cmd float8, deadline_work float8, "
        + ", ".join(f"{k}_cmd float8, {k}_work float8" for k in keys)
        + ")"
    )
    columns = [
        "path", "status", "events", "version", "rework", "last_cmd", "last_work", "step_cmd",
        "step_work", "deadline_cmd", "deadline_work",
        *[f"{k}_{p}" for k in keys for p in ("cmd", "work")],
    ]  # fmt: skip
    with cursor.copy(f"COPY bench_path_end ({', '.join(columns)}) FROM STDIN") as copy:
        for item in summary:
            copy.write_row([item.get(c) for c in columns])


def _cast(cursor: object) -> dict[str, int]:
    """One person per command-centre role: the demo's accounts."""
    found = {}
    for role in ("acceptor", "shift_leader", "dispatcher"):
        cursor.execute(
            "SELECT u.id FROM auth_user u JOIN auth_user_groups ug ON ug.user_id = u.id"
            " JOIN auth_group g ON g.id = ug.group_id WHERE g.name = %s ORDER BY u.id LIMIT 1",
            [role],
        )
        found[role] = cursor.fetchone()[0]
    return found


@contextmanager
def constraints_deferred(cursor: Any, tables: tuple[str, ...], out: harness.Out) -> Iterator[None]:
    """Bulk loading's usual trick: drop the tables' foreign keys and secondary indexes, load,
    then re-create them (one validating join and one sorted build each, instead of a check and
    an index insertion per row). Primary keys and unique constraints stay. The caller's
    transaction puts everything back if the load fails."""
    saved = []
    for table in tables:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        foreign = cursor.fetchall()
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
            " JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass"
            " AND NOT x.indisprimary"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in foreign:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        saved.append((table, foreign, indexes))
    yield
    with out.step("re-create indexes and foreign keys"):
        for table, foreign, indexes in saved:
            for _name, definition in indexes:
                cursor.execute(definition)
            for name, definition in foreign:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


BULK_TABLES = ("cases_case", "cases_caseevent", "cases_casefact")


def build_cases(*, counts: dict[str, int], now: datetime, seed: float, out: harness.Out) -> None:
    from django.conf import settings
    from django.db import connection, transaction

    escalate_at = float(getattr(settings, "GRIDCITY_ESCALATE_AT", ESCALATE_AT))
    total, open_count = counts["cases"], counts["open"]
    historical = total - open_count
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SELECT setseed(%s)", [seed])
        _paths_table(cursor)
        cast = _cast(cursor)
        # Backdate the city: it has been running for three years, with the same inspectors.
        since = (now - timedelta(days=3 * 365)).date()
        cursor.execute("UPDATE grids_grid SET valid_from = %s", [since])
        cursor.execute("UPDATE departments_patrolassignment SET valid_from = %s", [since])
        with out.step("case plan (paths, grids, categories, points)"):
            _case_plan(cursor, counts=counts, historical=historical, now=now, cast=cast)
        with constraints_deferred(cursor, BULK_TABLES, out):
            with out.step(f"{total:,} cases"):
                _insert_cases(cursor, now=now, escalate_at=escalate_at)
            with out.step("event log"):
                _insert_events(cursor)
                cursor.execute("SELECT count(*) FROM cases_caseevent")
                out.say(f"{cursor.fetchone()[0]:,} events")
            with out.step("evaluation facts (cases.facts, from the same plan)"):
                _insert_facts(cursor)
        with out.step("number counters and id sequences"):
            cursor.execute(
                "INSERT INTO cases_casenumbercounter (year, last_serial)"
                " SELECT left(number, 4)::int, max(substr(number, 5)::int) FROM cases_case"
                " GROUP BY 1 ON CONFLICT (year) DO UPDATE SET last_serial = EXCLUDED.last_serial"
            )
            for table in ("cases_case", "cases_caseevent"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )


def _case_plan(
    cursor: object, *, counts: dict[str, int], historical: int, now: datetime, cast: dict
) -> None:
    """bench_gen: one row per case to create, with its path, place, people and paces."""
    total = counts["cases"]
    cursor.execute(
        "CREATE TEMP TABLE bench_grid AS SELECT g.id, g.code, g.boundary,"
        " (SELECT p.inspector_id FROM departments_patrolassignment p WHERE p.grid_id = g.id"
        "  ORDER BY p.id LIMIT 1) AS inspector_id,"
        " row_number() OVER (ORDER BY g.id) AS n FROM grids_grid g WHERE g.valid_to IS NULL"
    )
    cursor.execute("SELECT count(*) FROM bench_grid")
    (grids,) = cursor.fetchone()
    per_grid = total // grids + 1
    # Random points inside every grid, enough for one case each.
    cursor.execute(
        "CREATE TEMP TABLE bench_point AS SELECT d.grid_n, (d.dump).geom AS geom,"
        " row_number() OVER () AS n FROM (SELECT g.n AS grid_n,"
        " ST_Dump(ST_GeneratePoints(g.boundary, %s, g.id::int)) AS dump FROM bench_grid g) d",
        [per_grid],
    )
    # 95 % matters, 5 % components (the mature-system mix).
    cursor.execute(
        "CREATE TEMP TABLE bench_category AS SELECT id, kind, code, major_code,"
        " row_number() OVER (PARTITION BY kind ORDER BY code) AS n,"
        " count(*) OVER (PARTITION BY kind) AS of FROM grids_category"
        " WHERE retired_on IS NULL"
    )
    cursor.execute(
        "CREATE TEMP TABLE bench_department AS SELECT d.id,"
        " (SELECT u.id FROM auth_user u JOIN departments_person p ON p.user_id = u.id"
        "  JOIN auth_user_groups ug ON ug.user_id = u.id JOIN auth_group gr ON gr.id = ug.group_id"
        "  WHERE p.department_id = d.id AND gr.name = 'handler' ORDER BY u.id LIMIT 1) AS handler,"
        " row_number() OVER (ORDER BY d.id) AS n FROM departments_department d"
        " WHERE d.kind = 'professional' AND d.is_active"
    )
    cursor.execute("DELETE FROM bench_department WHERE handler IS NULL")
    cursor.execute(
        "CREATE TEMP TABLE bench_department_n AS"
        " SELECT id, handler, row_number() OVER (ORDER BY id) AS n FROM bench_department"
    )
    cursor.execute("SELECT count(*) FROM bench_department_n")
    (departments,) = cursor.fetchone()

    def mix_case(mix: dict[str, float]) -> str:
        parts, edge = [], 0.0
        for name, share in mix.items():
            edge += share
            parts.append(f"WHEN u < {edge:.6f} THEN '{name}'")
        return "CASE " + " ".join(parts) + f" ELSE '{name}' END"

    history_start = now - timedelta(days=HISTORY_DAYS)
    cursor.execute(
        "CREATE TEMP TABLE bench_gen AS"
        " SELECT i AS id, u, CASE WHEN i <= %(historical)s THEN "
        + mix_case(HISTORICAL_MIX)
        + " ELSE "
        + mix_case(OPEN_MIX)
        + " END AS path,"
        " 0.5 + random() AS pace_cmd, 0.2 + 2.0 * random() AS pace_work,"
        " random() AS age, random() AS pick_category, random() AS pick_department,"
        " random() AS pick_source, random() AS pick_point"
        " FROM (SELECT i, random() AS u FROM generate_series(1, %(total)s) i) s",
        {"historical": historical, "total": total},
    )
    cursor.execute("SELECT count(*) FROM bench_point")
    (points,) = cursor.fetchone()
    cursor.execute(
        "CREATE TEMP TABLE bench_case0 AS SELECT g.id, g.path, e.status, e.events, e.version,"
        " e.rework, g.pace_cmd, g.pace_work,"
        " CASE WHEN g.pick_source < 0.8 THEN 'inspector'"
        "      WHEN g.pick_source < 0.9 THEN 'video' ELSE 'other_system' END AS source,"
        " c.id AS category_id, c.kind AS category_kind, c.major_code, c.code AS category_code,"
        " gr.id AS grid_id, gr.code AS grid_code, gr.inspector_id, p.geom AS location,"
        " d.id AS department_id, d.handler AS handler_id,"
        " CASE WHEN g.pick_source < 0.8 THEN gr.inspector_id ELSE %(acceptor)s END"
        "   AS reporter_id,"
        " %(acceptor)s AS acceptor_id, %(shift_leader)s AS filer_id,"
        " %(dispatcher)s AS dispatcher_id,"
        # When: historical cases spread over two years (ending two days ago); open cases are
        # placed so their current step started a random share of 1.8 × its limit ago.
        " CASE WHEN g.path LIKE 'open_%%' THEN"
        "   %(now)s - make_interval(secs => g.age * 1.8 * lim.seconds"
        "     + e.step_cmd * g.pace_cmd + e.step_work * g.pace_work)"
        " ELSE %(start)s + make_interval(secs => g.age * %(span)s) END AS reported_at"
        " FROM bench_gen g JOIN bench_path_end e ON e.path = g.path"
        " LEFT JOIN (VALUES "
        + ", ".join(f"('open_{status}', {STEP_LIMIT[step]})" for status, step in STEP_OF.items())
        + ") AS lim(path, seconds) ON lim.path = g.path"
        " JOIN bench_category c ON c.kind = CASE WHEN g.pick_category < 0.05 THEN 'component'"
        "   ELSE 'matter' END"
        "  AND c.n = 1 + floor(((g.pick_category * 20) - floor(g.pick_category * 20)) * c.of)"
        " JOIN bench_point p ON p.n = 1 + (g.id::bigint * 7919) %% %(points)s"
        " JOIN bench_grid gr ON gr.n = p.grid_n"
        " JOIN bench_department_n d ON d.n = 1 + floor(g.pick_department * %(departments)s)",
        {
            "now": now,
            "start": history_start,
            "span": (HISTORY_DAYS - 2) * DAY,
            "points": points,
            "departments": departments,
            **cast,
        },
    )
    # Gap-free numbers per year (Asia/Shanghai years), in order of reporting.
    cursor.execute(
        "CREATE TEMP TABLE bench_case AS SELECT c.*,"
        " to_char(reported_at AT TIME ZONE %(tz)s, 'YYYY') || lpad(serial, greatest(6,"
        "  length(serial)), '0') AS number FROM (SELECT c.*, row_number() OVER ("
        "  PARTITION BY date_part('year', reported_at AT TIME ZONE %(tz)s)"
        "  ORDER BY reported_at, id)::text AS serial FROM bench_case0 c) c ORDER BY id",
        {"tz": harness.time_zone()},
    )
    cursor.execute("DROP TABLE bench_case0")
    cursor.execute("SELECT count(*) FROM bench_case")
    (created,) = cursor.fetchone()
    if created != total:
        raise RuntimeError(f"the case plan has {created} rows, expected {total}")
    cursor.execute("CREATE INDEX ON bench_case (id)")
    cursor.execute("ANALYZE bench_case")


def _at(prefix: str, cmd: str, work: str) -> str:
    """The moment of a planned step: reported_at + offsets scaled by the case's paces."""
    return (
        f"{prefix}reported_at + make_interval(secs => {cmd} * {prefix}pace_cmd"
        f" + coalesce({work}, 0) * {prefix}pace_work)"
    )


def _insert_cases(cursor: object, *, now: datetime, escalate_at: float) -> None:
    step_start = _at("b.", "e.step_cmd", "e.step_work")
    deadline = f"({_at('b.', 'e.deadline_cmd', 'e.deadline_work')} + interval '{HANDLING_LIMIT} s')"
    limit = (
        "(CASE b.status "
        + " ".join(f"WHEN '{status}' THEN {STEP_LIMIT[step]}" for status, step in STEP_OF.items())
        + " END)"
    )
    handled = _at("b.", "e.handled_cmd", "e.handled_work")
    closed = _at("b.", "e.closed_cmd", "e.closed_work")
    cursor.execute(
        f"""
        INSERT INTO cases_case (
            id, number, source, category_id, description, location, address, grid_id,
            component_id, reporter_id, reporter_name, reporter_phone, urgency, status, pending,
            pending_data, lead_department_id, suggested_department_id, suggested_assisting_ids,
            suggestion_reason, duplicate_of_id, duplicate_reason, step, step_started_at,
            step_deadline, step_natural, step_suspended, timer_colour, escalated,
            next_timer_change_at, handling_started_at, handling_deadline, suspended_at,
            suspended_total, rework_count, extension_count, sendback_count, urge_count, urged,
            business_type, outcome, reported_at, handled_at, closed_at, updated_at, version)
        SELECT b.id, b.number, b.source, b.category_id,
               '规模测试案件 ' || b.number, b.location, '', b.grid_id,
               NULL, b.reporter_id, '', '', 'normal', b.status, '', '{{}}',
               CASE WHEN e.dispatched_cmd IS NOT NULL THEN b.department_id END,
               b.department_id, '[]', '规模测试：按类别与网格', NULL, '',
               coalesce(s.step, ''), s.started, s.deadline, s.started IS NOT NULL,
               interval '0', coalesce(s.colour, ''), coalesce(s.escalated, false), s.next_change,
               CASE WHEN e.dispatched_cmd IS NOT NULL
                    THEN {_at("b.", "e.deadline_cmd", "e.deadline_work")} END,
               CASE WHEN e.dispatched_cmd IS NOT NULL THEN {deadline} END,
               NULL, interval '0', b.rework, 0, 0, 0, false,
               CASE WHEN e.dispatched_cmd IS NOT NULL THEN 'immediate' ELSE '' END,
               CASE WHEN b.status = 'closed' THEN
                    CASE WHEN {handled} <= {deadline} THEN 'on_time' ELSE 'overdue' END
                    ELSE '' END,
               b.reported_at,
               CASE WHEN e.handled_cmd IS NOT NULL THEN {handled} END,
               CASE WHEN e.closed_cmd IS NOT NULL THEN {closed} END,
               {_at("b.", "e.last_cmd", "e.last_work")}, b.version
          FROM bench_case b JOIN bench_path_end e ON e.path = b.path
          LEFT JOIN LATERAL (
              SELECT t.step, t.started, t.deadline,
                     CASE WHEN %(now)s >= t.deadline THEN 'red'
                          WHEN %(now)s >= t.yellow THEN 'yellow' ELSE 'green' END AS colour,
                     %(now)s >= t.escalate AS escalated,
                     CASE WHEN %(now)s < t.yellow THEN t.yellow
                          WHEN %(now)s < t.deadline THEN t.deadline
                          WHEN %(now)s < t.escalate THEN t.escalate END AS next_change
                FROM (SELECT st.step, st.started,
                             st.started + make_interval(secs => st.lim) AS deadline,
                             st.started + make_interval(secs => st.lim * {YELLOW_AT}) AS yellow,
                             st.started + make_interval(secs => st.lim * %(escalate)s)
                                 AS escalate
                        FROM (SELECT CASE b.status {
            " ".join(f"WHEN '{status}' THEN '{step}'" for status, step in STEP_OF.items())
        } END AS step,
                                     {step_start} AS started, {limit} AS lim) st
                       WHERE st.step IS NOT NULL) t
          ) s ON b.path LIKE 'open_%%'
        """,
        {"now": now, "escalate": escalate_at},
    )


def _insert_events(cursor: object) -> None:
    """Every case's log: one row per step of its path, in order."""
    at = _at("b.", "p.cmd", "p.work")
    # The outcome exactly as _insert_cases computes it for the case row.
    handled = _at("b.", "e.handled_cmd", "e.handled_work")
    handling_deadline = (
        f"({_at('b.', 'e.deadline_cmd', 'e.deadline_work')} + interval '{HANDLING_LIMIT} s')"
    )
    outcome = f"CASE WHEN {handled} <= {handling_deadline} THEN 'on_time' ELSE 'overdue' END"
    deadline = f"({_at('b.', 'p.deadline_cmd', 'p.deadline_work')} + interval '{HANDLING_LIMIT} s')"
    reinspect_on_time = "(b.pace_cmd < 1.4)"
    cursor.execute(
        f"""
        INSERT INTO cases_caseevent (case_id, sequence, action, actor_id, actor_role,
                                     from_status, to_status, note, data, created_at)
        SELECT b.id, p.seq, p.action,
               CASE p.actor WHEN 'reporter' THEN b.reporter_id
                            WHEN 'acceptor' THEN b.acceptor_id
                            WHEN 'filer' THEN b.filer_id
                            WHEN 'closer' THEN b.filer_id
                            WHEN 'dispatcher' THEN b.dispatcher_id
                            WHEN 'handler' THEN b.handler_id
                            WHEN 'inspector' THEN b.inspector_id END,
               CASE WHEN p.actor = 'reporter'
                    THEN CASE WHEN b.source = 'inspector' THEN 'inspector' ELSE 'acceptor' END
                    ELSE p.role END,
               p.from_status, p.to_status,
               CASE p.action WHEN 'report' THEN '规模测试案件 ' || b.number
                             WHEN 'reject' THEN '不属于受理范围'
                             WHEN 'void' THEN '重复立案'
                             WHEN 'reinspect_fail' THEN '未处置到位'
                             WHEN 'route_suggested' THEN '规模测试：按类别与网格'
                             ELSE '' END,
               CASE p.action
                 WHEN 'report' THEN jsonb_build_object('source', b.source, 'grid', b.grid_code)
                 WHEN 'route_suggested' THEN jsonb_build_object(
                     'lead', b.department_id, 'assisting', '[]'::jsonb, 'rule', NULL)
                 WHEN 'dispatch' THEN jsonb_build_object(
                     'lead', b.department_id, 'assisting', '[]'::jsonb)
                 WHEN 'report_handled' THEN jsonb_build_object('on_time', {at} <= {deadline})
                 WHEN 'reinspect_pass' THEN jsonb_build_object('step_left', jsonb_build_object(
                     'step', 'reinspect', 'on_time', {reinspect_on_time}))
                 WHEN 'reinspect_fail' THEN jsonb_build_object('step_left', jsonb_build_object(
                     'step', 'reinspect', 'on_time', {reinspect_on_time}))
                 WHEN 'close' THEN jsonb_build_object('outcome', {outcome})
                 ELSE '{{}}'::jsonb END,
               {at}
          FROM bench_case b
          JOIN bench_path p ON p.path = b.path
          JOIN bench_path_end e ON e.path = b.path
        """
    )


def _insert_facts(cursor: object) -> None:
    def at(key: str) -> str:
        moment = _at("b.", f"e.{key}_cmd", f"e.{key}_work")
        return f"CASE WHEN e.{key}_cmd IS NOT NULL THEN {moment} END"

    cursor.execute(
        f"""
        INSERT INTO cases_casefact (
            case_id, number, status, source, category_id, category_kind, category_major,
            category_code, grid_id, grid_code, community_code, street_code, district_code,
            lead_department_id, location, reporter_id, grid_inspector_id, verifier_id,
            acceptor_id, filer_id, dispatcher_id, reinspector_id, closer_id, reported_at,
            verified_at, verified_on_time, accepted_at, filed_at, voided_at, rejected_at,
            dispatched_at, handling_deadline, handled_at, handled_on_time, reinspected_at,
            reinspected_on_time, closed_at, outcome, suspended, rework_count, extension_count,
            sendback_count, urge_count, last_sequence)
        SELECT b.id, b.number, c.status, b.source, b.category_id, b.category_kind, b.major_code,
               b.category_code, b.grid_id, b.grid_code, left(b.grid_code, 12),
               left(b.grid_code, 9), left(b.grid_code, 6), c.lead_department_id, b.location,
               b.reporter_id, b.inspector_id, NULL,
               CASE WHEN e.accepted_cmd IS NOT NULL THEN b.acceptor_id END,
               CASE WHEN e.filed_cmd IS NOT NULL THEN b.filer_id END,
               CASE WHEN e.dispatched_cmd IS NOT NULL THEN b.dispatcher_id END,
               CASE WHEN e.reinspected_cmd IS NOT NULL THEN b.inspector_id END,
               CASE WHEN e.closed_cmd IS NOT NULL THEN b.filer_id END,
               b.reported_at, NULL, NULL, {at("accepted")}, {at("filed")}, {at("voided")},
               {at("rejected")}, {at("dispatched")}, c.handling_deadline, {at("handled")},
               CASE WHEN e.handled_cmd IS NOT NULL THEN {at("handled")} <= c.handling_deadline
               END,
               {at("reinspected")},
               CASE WHEN e.reinspected_cmd IS NOT NULL THEN b.pace_cmd < 1.4 END,
               {at("closed")}, c.outcome, false, b.rework, 0, 0, 0, e.events
          FROM bench_case b JOIN bench_path_end e ON e.path = b.path
          JOIN cases_case c ON c.id = b.id
        """
    )


# ---------------------------------------------------------------- checks


def check_facts(*, sample: int, out: harness.Out) -> dict[str, Any]:
    """Re-fold the event log of a random sample with the reports' own code (cases.facts): the
    generated facts must match, and the rebuild's pace says how long `rebuild_case_facts`
    would take over the whole log."""
    from django.db import connection, transaction

    from cases.facts import facts_differences, facts_rebuild

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM cases_case ORDER BY md5(id::text) LIMIT %s", [max(sample, 1)]
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT count(*) FROM cases_case")
        (total,) = cursor.fetchone()
    with out.step(f"facts of {len(ids)} sampled cases re-folded from their events"):
        differences = facts_differences(case_ids=ids)
        out.say(f"{len(differences)} differences")
        for case_id, name, stored, rebuilt in differences[:10]:
            out.say(f"case {case_id}: {name} stored={stored!r} rebuilt={rebuilt!r}")
    started = time.monotonic()
    with transaction.atomic():
        facts_rebuild(case_ids=ids)
        transaction.set_rollback(True)
    pace = len(ids) / (time.monotonic() - started)
    out.say(
        f"rebuild_case_facts pace: {pace:.0f} cases/s, about {total / pace / 60:.0f} min for "
        f"all {total:,} cases"
    )
    return {
        "sampled": len(ids),
        "differences": len(differences),
        "rebuild_cases_per_s": round(pace),
        "rebuild_all_minutes": round(total / pace / 60, 1),
    }


# ---------------------------------------------------------------- command


def reset_database(out: harness.Out) -> None:
    import psycopg
    from django.core.management import call_command

    dsn = harness.dsn()
    name = harness.database_name()
    with out.step(f"drop and re-create database {name}"):
        with psycopg.connect(harness.dsn(dbname="postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template1')
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    with out.step("migrate"):
        call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the full city; 0.01 smoke")
    parser.add_argument("--reset", action="store_true", help="drop, re-create and migrate first")
    parser.add_argument(
        "--cases-only", action="store_true", help="the city is already built: add the cases"
    )
    parser.add_argument("--seed", type=float, default=0.42, help="PostgreSQL setseed() value")
    parser.add_argument(
        "--check-sample", type=int, default=1000, help="cases whose facts are re-folded"
    )
    args = parser.parse_args()
    harness.setup()
    from django.db import connection
    from django.utils import timezone

    out = harness.Out()
    counts = plan(args.scale)
    out.say(f"scale {args.scale}: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    started = time.monotonic()
    if args.reset:
        reset_database(out)
    from cases.models import Case

    if Case.objects.exists():
        raise SystemExit("the database already has cases; run with --reset")
    if args.cases_only:
        out.say("keeping the city model, departments and people already here")
    else:
        build_city(counts=counts, out=out)
    now = timezone.now().replace(microsecond=0)
    build_cases(counts=counts, now=now, seed=args.seed, out=out)
    # VACUUM too: a city's tables have been through autovacuum, which sets the visibility map
    # that index-only scans (the queue counts) rely on; a table just bulk-loaded has not yet.
    with out.step("VACUUM (ANALYZE)"), connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    checks = check_facts(sample=args.check_sample, out=out)
    harness.meta_set(
        "seed",
        {
            "scale": args.scale,
            "counts": counts,
            "now": now.isoformat(),
            "seconds": round(time.monotonic() - started, 1),
            "steps": out.steps,
            "facts": checks,
        },
    )
    out.say(f"done in {time.monotonic() - started:.0f} s; anchor time {now.isoformat()}")
    print(json.dumps(out.steps, ensure_ascii=False))


if __name__ == "__main__":
    main()

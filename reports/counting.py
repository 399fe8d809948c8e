"""The statements that count the evaluation facts (reports.indices says what each measure
counts): every measure of a dimension for each unit together with the reader-wide total, and
every measure for each period of a trend, one statement per page.

Two choices keep the statements cheap without touching what is counted. The counts keep the
measures' own filters (``measure_q``) as their FILTER clauses, so the WHERE only has to hold
every fact some measure counts: it is the union of the plain time ranges the measures are
anchored in, read off their filters, and PostgreSQL combines the per-date indexes for it
(BitmapOr) instead of scanning all the facts for a month or a quarter. And several periods or
key column sets are one ``UNION ALL`` of one aggregate each, each reading only its own range:
one FILTER per (period, measure) over the union of the periods' ranges evaluates every filter
on every fact in it, and measured up to 2.4 times slower on 2,000,000 facts.

The counts of finished periods are kept and read back until a fact of their days changes,
and a long period that runs to today is counted as its kept prefix and what differs after it
("kept counts" below). Past that, the counts of every period are kept as of a moment and read
as those plus what changed since ("rolling counts" below): a page then reads the facts changed
in the last minutes, however long its period and however busy the city.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import BigIntegerField, Count, F, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast, Greatest
from django.utils import timezone

from cases.facts import LATEST_STAMPS, CaseFact
from reports.indices import Dimension, Options, Period, PeriodKind, measure_q, unit_key
from reports.models import FactVersion, PeriodCounts

Counts = dict[str, int]
# The count of a measure a part does not count: a bigint like COUNT(), so that every part of a
# UNION ALL has the same column types and PostgreSQL runs them side by side (Parallel Append)
# instead of wrapping some of them in a conversion.
NONE = Cast(Value(0), BigIntegerField())
# Periods up to this many days apart (first to last: a quarter is 89–91) are read through the
# per-date indexes only (see _read).
SHORT_DAYS = 91
NO_FULL_SCANS = "SELECT set_config('enable_seqscan', 'off', true)"


def _range_fields(q: Q, period: Period) -> frozenset[str] | None:
    """Time columns such that every fact matching ``q`` has one of them inside ``period``
    (``column >= start`` and ``column < end`` in one conjunction), or None when ``q`` does not
    say so plainly."""
    if q.negated or q.connector not in (Q.AND, Q.OR):
        return None
    found: list[frozenset[str]] = []
    lower: set[str] = set()
    upper: set[str] = set()
    for child in q.children:
        if isinstance(child, Q):
            fields = _range_fields(child, period)
            if fields is None and q.connector == Q.OR:
                return None
            if fields is not None:
                found.append(fields)
            continue
        if q.connector == Q.OR:
            return None  # a bare condition in a disjunction bounds nothing
        lookup, value = child
        if lookup.endswith("__gte") and value == period.start:
            lower.add(lookup.removesuffix("__gte"))
        elif lookup.endswith("__lt") and value == period.end:
            upper.add(lookup.removesuffix("__lt"))
    if q.connector == Q.OR:
        return frozenset().union(*found) if found else None
    found += [frozenset({field}) for field in sorted(lower & upper)]
    return min(found, key=len, default=None)


def window_q(measures: Iterable[str], period: Period, options: Options) -> Q:
    """A filter holding every fact any of ``measures`` counts in ``period``: the union of
    the time ranges the measures are anchored in (the measures' own filters, OR-ed, when one of
    them is not plainly anchored in a range)."""
    return _window_q(measures, period, options, _anchors(measures, period, options))


def _window_q(
    measures: Iterable[str], period: Period, options: Options, anchors: set[str] | None
) -> Q:
    """window_q, given the measures' anchors (_anchors) when the caller has them already."""
    if anchors is None:
        return reduce(or_, (measure_q(m, period, options) for m in measures))
    return reduce(
        or_, (Q(**{f"{f}__gte": period.start, f"{f}__lt": period.end}) for f in sorted(anchors))
    )


def _anchors(measures: Iterable[str], period: Period, options: Options) -> set[str] | None:
    """The time columns ``measures`` are anchored in: every fact one of them counts in
    ``period`` has one of these inside it (None when a measure does not say so plainly)."""
    fields: set[str] = set()
    for m in measures:
        anchored = _range_fields(measure_q(m, period, options), period)
        if anchored is None:
            return None
        fields |= anchored
    return fields


def _minus(alias: str) -> str:
    return f"d{alias}"


def _grows(then: Any, now: Any, negated: bool = False) -> bool:
    """Whether every fact the filter ``then`` (a measure in a prefix) holds, ``now`` (the same
    measure in the longer period) holds too, so that nothing leaves the count after the prefix.
    True when the two are alike but for leaves that compare a time with the later end only in
    a way that lets more facts in (``< end``; under NOT, ``>= end``). Most measures count a
    timestamp inside the period, which grows with it; "due" counts a case closed at or after
    the period's end as late, which does not."""
    if isinstance(then, Q) or isinstance(now, Q):
        if not (isinstance(then, Q) and isinstance(now, Q)):
            return False
        if (then.connector, then.negated, len(then.children)) != (
            now.connector,
            now.negated,
            len(now.children),
        ):
            return False
        inner = negated != then.negated
        return all(_grows(a, b, inner) for a, b in zip(then.children, now.children, strict=True))
    if then == now:
        return True
    if not (isinstance(then, tuple) and isinstance(now, tuple) and len(then) == len(now) == 2):
        return False
    (lookup, before), (lookup_now, after) = then, now
    if lookup != lookup_now or not isinstance(before, datetime) or not isinstance(after, datetime):
        return False
    if before > after:
        return False
    op = lookup.rpartition("__")[2]
    return op in (("gt", "gte") if negated else ("lt", "lte"))


class Part(NamedTuple):
    """What one aggregate of a statement counts."""

    period: Period
    fields: tuple[str, ...]  # its key columns
    measures: Sequence[str]
    base: Period | None = None  # the kept prefix of the period it counts the difference to
    # Only the facts changed in [from, to) (to None: up to now), for rolling counts.
    changed: tuple[datetime, datetime | None] | None = None
    # Instead of the facts, the versions that changes since this moment replaced and that had
    # not changed before it (what rolling counts kept as of then hold and now take away).
    replaced: datetime | None = None


def _window(part: Part) -> Period:
    """The days a part reads: its period, or for a difference the days after its prefix."""
    if part.base is None:
        return part.period
    return Period(PeriodKind.CUSTOM, part.base.last + timedelta(days=1), part.period.last)


def _versions(facts: QuerySet[CaseFact]) -> QuerySet[FactVersion]:
    """The versions of the facts ``facts`` selects, by the same condition: a selection that is
    kept reads its own columns only (_selection), which FactVersion has under the same names."""
    versions = FactVersion.objects.using(facts.db).all()
    if facts.query.where:
        table = {CaseFact._meta.db_table: FactVersion._meta.db_table}
        versions.query.where = facts.query.where.relabeled_clone(table)
    return versions


def _part(
    facts: QuerySet[CaseFact],
    *,
    index: int,
    part: Part,
    aliases: dict[str, str],
    deltas: bool,
    options: Options,
) -> QuerySet[CaseFact]:
    """One aggregate of a UNION ALL: its index, its key columns as k0, k1…, and a count for
    every alias (0 for the measures it does not count). Without key columns it is one row.

    A part with a ``base`` (a prefix of its period whose counts are kept) counts only what
    differs between the two: under each alias the facts the period counts and the prefix does
    not, under its ``_minus`` the facts the prefix counts and the period does not (a measure
    that only grows with its period, _grows, has none, and that count is left out). Those facts
    all lie in the days after the prefix (tests/reports/test_period_counts.py), so only those
    are read."""
    period, fields, measures, base = part.period, part.fields, part.measures, part.base
    keys = {f"k{n}": F(field) for n, field in enumerate(fields)}
    counts: dict[str, Any] = {}
    for m, alias in aliases.items():
        counts[alias] = counts[_minus(alias)] = NONE
        if m not in measures:
            continue
        if base is None:
            counts[alias] = Count("pk", filter=measure_q(m, period, options))
            continue
        now, then = measure_q(m, period, options), measure_q(m, base, options)
        counts[alias] = Count("pk", filter=now & ~then)
        if not _grows(then, now):
            counts[_minus(alias)] = Count("pk", filter=then & ~now)
    if not deltas:
        counts = {alias: counts[alias] for alias in aliases.values()}
    window = _window(part)
    anchors = _anchors(measures, window, options)
    scoped = bool(facts.query.where)
    source: QuerySet[Any] = facts
    if part.replaced is not None:
        since = part.replaced
        source = _versions(facts).filter(
            Q(changed_at__lt=since) | Q(changed_at__isnull=True), captured_at__gte=since
        )
    elif part.changed is not None:
        since, until = part.changed
        source = facts.filter(changed_at__gte=since)
        if until is not None:
            source = source.filter(changed_at__lt=until)
    read = source.filter(_window_q(measures, window, options, anchors))
    if base is not None and scoped and anchors is not None and anchors <= set(LATEST_STAMPS):
        # For a reader who sees part of the city, the same facts said once more as one range:
        # each has a timestamp in the days after the prefix, so its latest is on or after
        # their first. PostgreSQL estimates the OR of the per-date ranges as if no fact had two
        # of them (for a department's days after its two-year prefix, 429,000 facts where
        # 102,000 match) and then read the reader's whole history through its own condition's
        # index instead (300 ms → 60 ms); fact_latest it estimates well. For the whole city
        # the per-date ranges alone are faster (110 ms against 170 ms with the range added).
        read = read.alias(latest=Greatest(*LATEST_STAMPS)).filter(latest__gte=window.start)
    return read.values(part=Value(index), **keys).annotate(**counts).order_by()


def _read(
    facts: QuerySet[CaseFact], *, parts: Sequence[Part], aliases: dict[str, str], options: Options
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The column names and rows of one UNION ALL of an aggregate per part, each with its
    part's index as ``part``, read straight from the cursor (the counts need no conversion, and
    Django's per-row converters cost about 0.1 s for 10,000 units). For periods of up to a
    quarter the statement runs without full scans: PostgreSQL estimates the OR of the time
    ranges as if the columns were independent (for a quarter, 520,000 facts where 250,000
    match, measured on 2,000,000 facts) and scans the whole table, twice as slow as combining
    the per-date indexes.

    JIT compilation, which cost more than running these statements (15 s against 1.1 s for the
    overview of a month), is off for every connection (settings: DATABASE_SESSION_OPTIONS).
    """
    deltas = any(part.base is not None for part in parts)
    queries = [
        _part(facts, index=i, part=part, aliases=aliases, deltas=deltas, options=options)
        for i, part in enumerate(parts)
    ]
    statement = queries[0] if len(queries) == 1 else queries[0].union(*queries[1:], all=True)
    try:
        sql, params = statement.query.get_compiler(using=statement.db).as_sql()
    except EmptyResultSet:
        return [], []  # the reader sees no facts at all
    short = all((w.last - w.first).days <= SHORT_DAYS for w in map(_window, parts))
    # The planner setting lasts for its transaction only (set_config's is_local).
    with (
        transaction.atomic(using=statement.db, savepoint=False) if short else nullcontext(),
        connections[statement.db].cursor() as cursor,
    ):
        if short:
            cursor.execute(NO_FULL_SCANS)
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return names, cursor.fetchall()


def _aliases(measures: Iterable[str]) -> dict[str, str]:
    # Positional names: some measures share their name with a fact column.
    return {m: f"n{i}" for i, m in enumerate(measures)}


# ---------------------------------------------------------------- kept counts
# The counts of a period are kept (reports.models.PeriodCounts) once it ended a day
# ago, and read again while no change to the facts has been recorded on its days since. The
# trigger on the facts records the days of timestamps older than twelve hours only (so today's
# writers never touch the same rows); a period a day past its end has none younger, and the
# twelve hours between leave room for a writer's transaction that began before the reader's.
#
# A period that has not ended that long ago (the last two years, this month so far) is counted
# as its kept prefix, up to the end of the last month that has, and what differs in the days
# after it (see _part): those days are all that is read.
KEPT_AFTER = "1 day"
SIGNATURES_SQL = """
SELECT p.i, COALESCE(SUM(c.changes), 0)
  FROM (VALUES {values}) AS p (i, period_end, first_day, last_day)
  LEFT JOIN reports_factchange c ON c.day BETWEEN p.first_day AND p.last_day
 WHERE p.period_end <= now() - interval '{kept_after}'
 GROUP BY p.i
"""

# The counts of one period: {(index of the key column set, the unit's key values): counts}.
Raw = dict[tuple[int, tuple[Any, ...]], Counts]
Sets = Sequence[tuple[tuple[str, ...], Sequence[str]]]  # key columns and the measures by them


# What a selection of facts that is kept may not hold: a join or a subquery reads other
# tables, whose changes the trigger does not see, and a clock or a random draw selects
# differently each time.
UNKEPT_SQL = re.compile(
    r"\b(JOIN|NOW|CURRENT_DATE|CURRENT_TIMESTAMP|CLOCK_TIMESTAMP|STATEMENT_TIMESTAMP|RANDOM)\b"
    r"|\(\s*SELECT\b",
    re.IGNORECASE,
)


def _selection(facts: QuerySet[CaseFact]) -> str | None:
    """A name for the facts ``facts`` selects, when it selects them by their own columns only:
    "all" for a reader who sees the whole city, a digest of the condition for a reader's part
    of it (a district's grid codes, a department). Only a change to a fact, which the trigger
    records, can then change what is selected. None when the counts cannot be kept."""
    if facts.model is not CaseFact or facts.query.is_sliced:
        return None
    if not facts.query.where:
        return "all"
    try:
        sql, params = facts.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return None  # selects nothing: nothing to keep
    if UNKEPT_SQL.search(sql):
        return None
    condition = repr((sql.partition(" WHERE ")[2], params))
    return "where-" + hashlib.sha256(condition.encode()).hexdigest()[:24]


# The layout of the kept rows (_to_json): a key written under another layout is never read
# back, and the nightly compaction drops it after thirty days.
KEPT_LAYOUT = "v2"


def _kept_key(period: Period, name: str, options: Options, *, rolling: bool = False) -> str:
    suspended = "without-suspended" if options.exclude_suspended else "all"
    kind = "rolling" if rolling else "event"
    return f"{KEPT_LAYOUT}:{kind}:{suspended}:{period.first}:{period.last}:{name}"


def _prefix(period: Period) -> Period | None:
    """The part of ``period`` up to the end of the last month that ended a day ago, when the
    period runs past it and starts before it."""
    month = (timezone.localdate() - timedelta(days=1)).replace(day=1)
    last = month - timedelta(days=1)
    if period.first > last or period.last <= last:
        return None
    return Period(PeriodKind.CUSTOM, period.first, last)


def _signatures(db: str, periods: Sequence[Period]) -> dict[int, int]:
    """For each period that ended at least KEPT_AFTER ago (by the database's clock, the one the
    trigger uses), the number of changes recorded on its days: {index in periods: changes}."""
    if not periods:
        return {}
    values, params = [], []
    for i, period in enumerate(periods):
        values.append("(%s::int, %s::timestamptz, %s::date, %s::date)")
        first_day = period.start.astimezone(UTC).date()
        last_day = (period.end - timedelta(microseconds=1)).astimezone(UTC).date()
        params += [i, period.end, first_day, last_day]
    sql = SIGNATURES_SQL.format(values=", ".join(values), kept_after=KEPT_AFTER)
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def _to_json(raw: Raw, sets: Sets) -> list[Any]:
    """Stored as [index of the key column set, key values, [the counts in the order of the
    set's measures]]: the measures' names, written out in every row, made a ranking's 10,000
    rows three times as long to store and to read back."""
    return [
        [index, list(values), [counts.get(m, 0) for m in sets[index][1]]]
        for (index, values), counts in raw.items()
    ]


def _from_json(stored: list[Any], sets: Sets) -> Raw:
    measures = [tuple(ms) for _fields, ms in sets]
    return {
        (index, tuple(values)): dict(zip(measures[index], counts, strict=True))
        for index, values, counts in stored
    }


# ---------------------------------------------------------------- rolling counts
# The counts of a period change with every step on one of its cases, wherever in the period
# that case's days lie: a city's working day changes facts of every day for weeks back, so the
# counts of a period still running (the last two years, this month so far) are never kept by
# their days, and those of a finished one (last month) not for long while its cases are still
# being handled. Every period's counts are also kept as of a moment (PeriodCounts.as_of): the
# counts of the facts as they were then. A trigger stamps each fact with when it last changed
# in a way a report counts (CaseFact.changed_at) and keeps the version each change replaced
# (FactVersion), so a read is what was kept, plus the facts changed since the moment, minus
# the versions that were current at it and have been replaced since (changed_at before the
# moment, captured_at after it); it reads the facts changed in the last minutes, not the
# month. Every fact's contribution to a period's counts depends on its row and the period only
# (the event convention), so this is exact. The same versions turn the counts a read finds now
# into the counts as of an earlier moment, to be kept: take away the facts changed after it and
# add back what they were then.
#
# The moment a read keeps its counts as of is a little in the past, and never later than the
# start of a transaction still open (the reader's own included): a writer's changed_at is the
# start of its transaction, so a change stamped before the moment that had not committed when
# the counts were taken would otherwise be in neither part. Only transactions of the platform's
# own database role are seen in pg_stat_activity; a writer under another role should not hold
# a transaction open for longer than ROLL_MARGIN.
ROLL_MARGIN = timedelta(minutes=5)
ROLL_EVERY = timedelta(minutes=10)  # a read keeps its counts again once they are this old
ROLL_KEPT = timedelta(days=2)  # older kept counts are not read (versions go after three days)
MOMENT_SQL = """
SELECT clock_timestamp(), LEAST(clock_timestamp() - %s, (
       SELECT min(xact_start) FROM pg_stat_activity
        WHERE datname = current_database() AND backend_type = 'client backend'))
"""


def _moment(db: str) -> tuple[datetime, datetime]:
    """The database's clock now, and the moment counts taken now may be kept as of."""
    with connections[db].cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # the activity seen now, not cached
        cursor.execute(MOMENT_SQL, [ROLL_MARGIN])
        now, moment = cursor.fetchone()
    return now, moment


def _rolled(raw: Raw, plus: Sequence[Raw], minus: Sequence[Raw]) -> Raw:
    """``raw`` with the counts of ``plus`` added and those of ``minus`` taken away. ``raw``'s
    counts are shared, not copied: only the units that differ get counts of their own (nothing
    here or in the callers changes a count in place)."""
    out = dict(raw)
    copied: set[tuple[int, tuple[Any, ...]]] = set()
    for sign, raws in ((1, plus), (-1, minus)):
        for each in raws:
            for k, delta in each.items():
                counts = out.get(k)
                if k not in copied:
                    counts = dict(counts or dict.fromkeys(delta, 0))
                    out[k] = counts
                    copied.add(k)
                for m, n in delta.items():
                    counts[m] = counts.get(m, 0) + sign * n
    return out


@dataclass
class _Plan:
    """How one period is counted: read back whole (``kept``); or as its prefix ``base`` (read
    back, or counted when ``base_kept`` is None) and what differs after it; or counted whole.
    A period with a ``key`` is stored once counted.

    Every period is also kept rolling (``roll_key``): read back, when it is not ``kept``, as
    ``rolled``, the counts as of ``since``, and what changed after; and kept again as of
    ``roll_to``."""

    period: Period
    key: str | None = None  # the period's own kept row, when it may be kept
    signature: int = 0
    kept: Raw | None = None
    base: Period | None = None
    base_key: str = ""
    base_signature: int = 0
    base_kept: Raw | None = None
    roll_key: str = ""
    rolled: Raw | None = None
    since: datetime | None = None
    roll_to: datetime | None = None


def _plan(
    facts: QuerySet[CaseFact], asks: Sequence[tuple[Period, Sets, str]], options: Options
) -> list[_Plan]:
    periods = [period for period, _sets, _name in asks]
    plans = [_Plan(period) for period in periods]
    selection = _selection(facts)
    if options.convention != "event" or selection is None:
        return plans  # counted up to now, or facts chosen by more than their own columns
    names = [f"{selection}:{name}" for _period, _sets, name in asks]
    prefixes = [_prefix(period) for period in periods]
    candidates = [*periods, *(p for p in prefixes if p is not None)]
    signatures = _signatures(facts.db, candidates)
    keys: dict[int, str] = {}
    at = len(periods)
    for i, plan in enumerate(plans):
        plan.roll_key = _kept_key(plan.period, names[i], options, rolling=True)
        if i in signatures:
            keys[i] = plan.key = _kept_key(plan.period, names[i], options)
            plan.signature = signatures[i]
        elif prefixes[i] is not None and at in signatures:
            plan.base = prefixes[i]
            keys[at] = plan.base_key = _kept_key(plan.base, names[i], options)
            plan.base_signature = signatures[at]
        if prefixes[i] is not None:
            at += 1
    # The rows' counts come as text and only those a plan reads back are decoded: a ranking's
    # row is a megabyte of JSON, and a page finds two or three rows for each period.
    wanted = {*keys.values(), *(plan.roll_key for plan in plans)}
    stored = {
        key: (signature, as_of, text)
        for key, signature, as_of, text in PeriodCounts.objects.using(facts.db)
        .filter(key__in=wanted)
        .values_list("key", "signature", "as_of", Cast("counts", TextField()))
    }
    moments: list[tuple[datetime, datetime]] = []

    def clock() -> tuple[datetime, datetime]:  # read once, when a plan needs it
        if not moments:
            moments.append(_moment(facts.db))
        return moments[0]

    for plan, (_period, sets, _name) in zip(plans, asks, strict=True):
        signature, _as_of, text = stored.get(plan.key or "", (None, None, ""))
        if plan.key and signature == plan.signature:
            plan.kept = _from_json(json.loads(text), sets)  # a finished period nothing changed in
            continue
        now, moment = clock()
        _signature, as_of, text = stored.get(plan.roll_key, (None, None, ""))
        if as_of is not None and as_of >= now - ROLL_KEPT:
            # A period still running, or a finished one a step on one of its cases changed.
            plan.rolled, plan.since = _from_json(json.loads(text), sets), as_of
            plan.base = None  # what changed since is all that is read
            if moment - as_of >= ROLL_EVERY:
                plan.roll_to = moment
            continue
        plan.roll_to = moment
        signature, _as_of, text = stored.get(plan.base_key, (None, None, ""))
        if plan.base and signature == plan.base_signature:
            plan.base_kept = _from_json(json.loads(text), sets)
    return plans


def _count(
    facts: QuerySet[CaseFact],
    *,
    asks: Sequence[tuple[Period, Sets, str]],
    options: Options,
) -> list[Raw]:
    """The counts of each asked period (its key column sets and measures, and the name its kept
    counts go by), in one statement for all that are not read back."""
    plans = _plan(facts, asks, options)
    parts: list[Part] = []
    owner: list[tuple[int, str, int]] = []  # per part: the ask, what it counts, its key set
    for i, (plan, (_period, sets, _name)) in enumerate(zip(plans, asks, strict=True)):
        if plan.kept is not None:
            continue
        each = [
            (s, Part(plan.period, fields, measures)) for s, (fields, measures) in enumerate(sets)
        ]
        if plan.rolled is not None:
            # What changed since the kept moment: the facts now, and the versions replaced.
            for s, part in each:
                parts.append(part._replace(changed=(plan.since, plan.roll_to)))
                owner.append((i, "changed", s))
                parts.append(part._replace(replaced=plan.since))
                owner.append((i, "replaced", s))
        else:
            counted = "delta" if plan.base is not None else "period"
            if plan.base is not None and plan.base_kept is None:
                for s, part in each:
                    parts.append(part._replace(period=plan.base))
                    owner.append((i, "base", s))
            for s, part in each:
                parts.append(part._replace(base=plan.base))
                owner.append((i, counted, s))
        if plan.roll_to is not None:
            # The counts kept as of the new moment hold the facts changed after it as they were
            # then: those facts now are taken away, the versions current then added back.
            for s, part in each:
                parts.append(part._replace(changed=(plan.roll_to, None)))
                owner.append((i, "after", s))
                parts.append(part._replace(replaced=plan.roll_to))
                owner.append((i, "then", s))
    # Only the measures some part counts: the periods read back need no columns.
    aliases = _aliases(dict.fromkeys(m for part in parts for m in part.measures))
    columns, rows = (
        _read(facts, parts=parts, aliases=aliases, options=options) if parts else ([], [])
    )
    at = {name: n for n, name in enumerate(columns)}
    # Per part, where its key values and each measure's count (and its _minus) are in a row.
    layouts = []
    for i, counted, s in owner if rows else ():
        fields, ms = asks[i][1][s]
        keys = [at[f"k{n}"] for n in range(len(fields))]
        minus = counted == "delta"
        places = [(m, at[aliases[m]], at[_minus(aliases[m])] if minus else None) for m in ms]
        layouts.append((keys, places))
    found: dict[tuple[int, str], Raw] = {}
    part_at = at.get("part", 0)
    for row in rows:
        number = row[part_at]
        i, counted, s = owner[number]
        keys, places = layouts[number]
        values = tuple(row[k] for k in keys)
        raw = found.setdefault((i, counted), {})
        if counted == "delta":
            raw[(s, values)] = {m: row[n] - row[d] for m, n, d in places}
        else:
            raw[(s, values)] = {m: row[n] for m, n, _d in places}
    results: list[Raw] = []
    # key: (counts, signature, the key column sets, the moment rolling counts are as of)
    fresh: dict[str, tuple[Raw, int, Sets, datetime | None]] = {}
    for i, plan in enumerate(plans):
        sets = asks[i][1]

        def part(counted: str, i: int = i) -> Raw:
            return found.get((i, counted), {})

        if plan.kept is not None:
            results.append(plan.kept)
            continue
        if plan.rolled is not None:
            # Without roll_to, "changed" is every fact changed since the moment kept; with it,
            # those up to roll_to, and "after" the rest.
            before = _rolled(plan.rolled, [part("changed")], [part("replaced")])
            raw = _rolled(before, [part("after")], []) if plan.roll_to else before
            if plan.roll_to:
                then = _rolled(before, [part("then")], [])
                fresh[plan.roll_key] = (then, 0, sets, plan.roll_to)
            results.append(raw)
            continue
        if plan.base is None:
            raw = part("period")
        else:
            base = plan.base_kept
            if base is None:
                base = part("base")
                fresh[plan.base_key] = (base, plan.base_signature, sets, None)
            raw = _rolled(base, [part("delta")], [])
        if plan.key:
            fresh[plan.key] = (raw, plan.signature, sets, None)
        if plan.roll_to:
            then = _rolled(raw, [part("then")], [part("after")])
            fresh[plan.roll_key] = (then, 0, sets, plan.roll_to)
        results.append(raw)
    if fresh:
        # In key order, so that two readers storing the same rows take their locks alike.
        PeriodCounts.objects.using(facts.db).bulk_create(
            [
                PeriodCounts(key=k, counts=_to_json(r, sets), signature=g, as_of=as_of)
                for k, (r, g, sets, as_of) in sorted(fresh.items())
            ],
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["counts", "signature", "as_of", "computed_at"],
        )
    return results


def count_table(
    facts: QuerySet[CaseFact], *, period: Period, dimension: Dimension, options: Options
) -> tuple[dict[str, Counts], Counts]:
    """Every measure of ``dimension`` for each unit and for all of ``facts`` together, in one
    statement: ({unit key: {measure: count}}, {measure: count}).

    The total is the sum over all the groups, including the facts with no unit (no department
    or person recorded, e.g. never dispatched), which are not a unit of their own: every fact
    falls in exactly one group of each key column set, so the sum is the count over all facts.
    Each measure has one key column set, so under person dimensions too the total of each of the
    dimension's measures is its count over all facts (and the total holds only those measures).
    The key column sets of one dimension have the same number of columns (people: one each).
    Counts are kept as count_periods says.
    """
    by_fields: dict[tuple[str, ...], list[str]] = {}
    for measure in dimension.measures:
        fields = dimension.fields_for(measure)
        if fields is not None:
            by_fields.setdefault(fields, []).append(measure)
    sets = list(by_fields.items())
    name = f"{dimension.key}:{'|'.join(','.join(ms) for _f, ms in sets)}"
    (raw,) = _count(facts, asks=[(period, sets, name)], options=options)
    every = dimension.measures
    zero = dict.fromkeys(every, 0)
    units: dict[str, Counts] = {}
    sums = [dict.fromkeys(measures, 0) for _fields, measures in sets]
    for (s, values), counted in raw.items():
        into = sums[s]
        for m, n in counted.items():
            into[m] += n
        if not any(counted.values()):
            continue  # facts inside the window that none of the measures counts: no unit
        if values.count(None) == len(values) and values:
            continue  # no person or department recorded (e.g. never dispatched)
        key = unit_key(values)
        unit = units.get(key)
        if unit is None:
            units[key] = {**zero, **counted}
        else:
            unit.update(counted)
    total = dict(zero)
    for into in sums:
        total.update(into)  # each measure has one key column set
    if not any(fields for fields, _measures in sets):
        units = {"": dict(total)}  # the city: one unit, also when the reader sees no facts
    return units, total


def count_units(
    facts: QuerySet[CaseFact], *, period: Period, dimension: Dimension, options: Options
) -> dict[str, Counts]:
    """Every measure of ``dimension`` for each unit, in one statement: {unit key: {measure:
    count}}."""
    return count_table(facts, period=period, dimension=dimension, options=options)[0]


def count_periods(
    facts: QuerySet[CaseFact],
    *,
    periods: Sequence[tuple[Period, Sequence[str]]],
    options: Options,
) -> list[Counts]:
    """Over all of ``facts``, the given measures of each period, in one statement:
    [{measure: count}] in the order of ``periods``.

    Under the "event" convention, for facts chosen by their own columns (_selection: a whole
    city or a reader's part of it), the counts of a period that ended a day ago are kept and
    read back while no fact of its days has changed since (the "reported" convention counts up
    to now, so its counts are never final); a longer period
    that has not is counted as its kept prefix and what differs after it. The changes are read
    before the facts are counted, so a change that the count missed is one the kept signature
    missed too, and the next reader counts again."""
    asks = [(period, [((), tuple(measures))], ",".join(measures)) for period, measures in periods]
    found = _count(facts, asks=asks, options=options)
    return [
        {**dict.fromkeys(measures, 0), **raw.get((0, ()), {})}
        for (_period, measures), raw in zip(periods, found, strict=True)
    ]

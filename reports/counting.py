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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from datetime import UTC, timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import BigIntegerField, Count, F, Q, QuerySet, Value
from django.db.models.functions import Cast

from cases.facts import CaseFact
from reports.indices import Dimension, Options, Period, measure_q, unit_key
from reports.models import PeriodCounts

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
    filters = [measure_q(m, period, options) for m in measures]
    fields: set[str] = set()
    for q in filters:
        anchored = _range_fields(q, period)
        if anchored is None:
            return reduce(or_, filters)
        fields |= anchored
    return reduce(
        or_, (Q(**{f"{f}__gte": period.start, f"{f}__lt": period.end}) for f in sorted(fields))
    )


def _part(
    facts: QuerySet[CaseFact],
    *,
    index: int,
    period: Period,
    fields: tuple[str, ...],
    measures: Sequence[str],
    aliases: dict[str, str],
    options: Options,
) -> QuerySet[CaseFact]:
    """One aggregate of a UNION ALL: its index, its key columns as k0, k1…, and a count for
    every alias (0 for the measures it does not count). Without key columns it is one row."""
    keys = {f"k{n}": F(field) for n, field in enumerate(fields)}
    counts = {
        alias: Count("pk", filter=measure_q(m, period, options)) if m in measures else NONE
        for m, alias in aliases.items()
    }
    return (
        facts.filter(window_q(measures, period, options))
        .values(part=Value(index), **keys)
        .annotate(**counts)
        .order_by()
    )


Part = tuple[Period, tuple[str, ...], Sequence[str]]  # period, key columns, measures


def _read(
    facts: QuerySet[CaseFact], *, parts: Sequence[Part], aliases: dict[str, str], options: Options
) -> list[dict[str, Any]]:
    """The rows of one UNION ALL of an aggregate per part, each with its part's index as
    ``part``, read straight from the cursor (the counts need no conversion, and Django's per-row
    converters cost about 0.1 s for 10,000 units). For periods of up to a quarter the statement
    runs without full scans: PostgreSQL estimates the OR of the time ranges as if the columns
    were independent (for a quarter, 520,000 facts where 250,000 match, measured on 2,000,000
    facts) and scans the whole table, twice as slow as combining the per-date indexes.

    JIT compilation, which cost more than running these statements (15 s against 1.1 s for the
    overview of a month), is off for every connection (settings: DATABASE_SESSION_OPTIONS).
    """
    queries = [
        _part(facts, index=i, period=p, fields=f, measures=m, aliases=aliases, options=options)
        for i, (p, f, m) in enumerate(parts)
    ]
    statement = queries[0] if len(queries) == 1 else queries[0].union(*queries[1:], all=True)
    try:
        sql, params = statement.query.get_compiler(using=statement.db).as_sql()
    except EmptyResultSet:
        return []  # the reader sees no facts at all
    short = all((period.last - period.first).days <= SHORT_DAYS for period, _f, _m in parts)
    # The planner setting lasts for its transaction only (set_config's is_local).
    with (
        transaction.atomic(using=statement.db, savepoint=False) if short else nullcontext(),
        connections[statement.db].cursor() as cursor,
    ):
        if short:
            cursor.execute(NO_FULL_SCANS)
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _aliases(measures: Iterable[str]) -> dict[str, str]:
    # Positional names: some measures share their name with a fact column.
    return {m: f"n{i}" for i, m in enumerate(measures)}


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
    """
    by_fields: dict[tuple[str, ...], list[str]] = {}
    for measure in dimension.measures:
        fields = dimension.fields_for(measure)
        if fields is not None:
            by_fields.setdefault(fields, []).append(measure)
    sets = list(by_fields.items())
    aliases = _aliases(dimension.measures)
    rows = _read(
        facts,
        parts=[(period, fields, measures) for fields, measures in sets],
        aliases=aliases,
        options=options,
    )
    every = dimension.measures
    units: dict[str, Counts] = {}
    total = dict.fromkeys(every, 0)
    for row in rows:
        fields, measures = sets[row["part"]]
        counted = {m: row[aliases[m]] for m in measures}
        for m, n in counted.items():
            total[m] += n
        values = tuple(row[f"k{i}"] for i in range(len(fields)))
        if fields and all(v is None for v in values):
            continue  # no person or department recorded (e.g. never dispatched)
        if not any(counted.values()):
            continue  # facts inside the window that none of the measures counts: no unit
        units.setdefault(unit_key(values), dict.fromkeys(every, 0)).update(counted)
    if not any(fields for fields, _measures in sets):
        units = {"": dict(total)}  # the city: one unit, also when the reader sees no facts
    return units, total


def count_units(
    facts: QuerySet[CaseFact], *, period: Period, dimension: Dimension, options: Options
) -> dict[str, Counts]:
    """Every measure of ``dimension`` for each unit, in one statement: {unit key: {measure:
    count}}."""
    return count_table(facts, period=period, dimension=dimension, options=options)[0]


# ---------------------------------------------------------------- kept counts of past periods
# The city-wide counts of a period are kept (reports.models.PeriodCounts) once it ended a day
# ago, and read again while no change to the facts has been recorded on its days since. The
# trigger on the facts records the days of timestamps older than twelve hours only (so today's
# writers never touch the same rows); a period a day past its end has none younger, and the
# twelve hours between leave room for a writer's transaction that began before the reader's.
KEPT_AFTER = "1 day"
SIGNATURES_SQL = """
SELECT p.i, COALESCE(SUM(c.changes), 0)
  FROM (VALUES {values}) AS p (i, period_end, first_day, last_day)
  LEFT JOIN reports_factchange c ON c.day BETWEEN p.first_day AND p.last_day
 WHERE p.period_end <= now() - interval '{kept_after}'
 GROUP BY p.i
"""


def _every_fact(facts: QuerySet[CaseFact]) -> bool:
    """Whether ``facts`` is every fact (a reader who sees the whole city)."""
    return facts.model is CaseFact and not facts.query.where and not facts.query.is_sliced


def _kept_key(period: Period, measures: Sequence[str], options: Options) -> str:
    suspended = "without-suspended" if options.exclude_suspended else "all"
    return f"event:{suspended}:{period.first}:{period.last}:{','.join(measures)}"


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


def count_periods(
    facts: QuerySet[CaseFact],
    *,
    periods: Sequence[tuple[Period, Sequence[str]]],
    options: Options,
) -> list[Counts]:
    """Over all of ``facts``, the given measures of each period, in one statement:
    [{measure: count}] in the order of ``periods``.

    For a reader who sees every fact, under the "event" convention, the counts of a period that
    ended a day ago are kept and read back while no fact of its days has changed since (the
    "reported" convention counts up to now, so its counts are never final). The changes are read
    before the facts are counted, so a change that the count missed is one the kept signature
    missed too, and the next reader counts again."""
    found = [dict.fromkeys(measures, 0) for _period, measures in periods]
    signatures: dict[int, int] = {}
    keys: dict[int, str] = {}
    done: set[int] = set()
    if options.convention == "event" and _every_fact(facts):
        signatures = _signatures(facts.db, [period for period, _measures in periods])
        keys = {i: _kept_key(*periods[i], options) for i in signatures}
        kept = PeriodCounts.objects.using(facts.db).filter(key__in=keys.values())
        by_key = {row.key: row for row in kept}
        for i, key in keys.items():
            row = by_key.get(key)
            if row is not None and row.signature == signatures[i]:
                found[i] = {m: row.counts[m] for m in periods[i][1]}
                done.add(i)
    todo = [i for i in range(len(periods)) if i not in done]
    if not todo:
        return found
    aliases = _aliases(dict.fromkeys(m for i in todo for m in periods[i][1]))
    rows = _read(
        facts,
        parts=[(periods[i][0], (), periods[i][1]) for i in todo],
        aliases=aliases,
        options=options,
    )
    for row in rows:
        i = todo[row["part"]]
        found[i] = {m: row[aliases[m]] for m in periods[i][1]}
    fresh = [
        PeriodCounts(key=keys[i], counts=found[i], signature=signatures[i])
        for i in todo
        if i in signatures
    ]
    if fresh:
        PeriodCounts.objects.using(facts.db).bulk_create(
            fresh,
            update_conflicts=True,
            unique_fields=["key"],
            update_fields=["counts", "signature", "computed_at"],
        )
    return found

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
from functools import reduce
from operator import or_
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, transaction
from django.db.models import BigIntegerField, Count, F, Q, QuerySet, Value
from django.db.models.functions import Cast

from cases.facts import CaseFact
from reports.indices import Dimension, Options, Period, measure_q, unit_key

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


def count_periods(
    facts: QuerySet[CaseFact],
    *,
    periods: Sequence[tuple[Period, Sequence[str]]],
    options: Options,
) -> list[Counts]:
    """Over all of ``facts``, the given measures of each period, in one statement:
    [{measure: count}] in the order of ``periods``."""
    aliases = _aliases(dict.fromkeys(m for _period, measures in periods for m in measures))
    rows = _read(
        facts,
        parts=[(period, (), measures) for period, measures in periods],
        aliases=aliases,
        options=options,
    )
    found = [dict.fromkeys(measures, 0) for _period, measures in periods]
    for row in rows:
        found[row["part"]] = {m: row[aliases[m]] for m in periods[row["part"]][1]}
    return found

"""The machinery every import shares: a temporary staging table filled by COPY, SQL checks that
name features by index, and an all-or-nothing transaction (with a dry-run mode)."""

# SQL here is composed only from module constants (table and column names); every value is a
# bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from grids.io.fields import FeatureProblem, ImportFailed

Progress = Callable[[int], None]
PROGRESS_EVERY = 1000


@dataclass
class ImportResult:
    """What an import did (or, in a dry run, would have done)."""

    total: int
    created: int = 0
    updated: int = 0
    dry_run: bool = False
    warnings: list[str] = field(default_factory=list)


class _DryRun(Exception):
    """Raised inside the transaction to roll a validated dry run back."""


@contextmanager
def all_or_nothing(*, dry_run: bool) -> Iterator[None]:
    """One transaction around the whole import; a dry run is rolled back after its checks."""
    try:
        with transaction.atomic():
            yield
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass


def stage_create(cursor: Any, name: str, columns: str) -> None:
    # Dropped first, not "ON COMMIT DROP" alone: inside an outer transaction (a test, a caller's
    # atomic block) the previous import's table may still exist.
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(f"CREATE TEMP TABLE {name} ({columns}) ON COMMIT DROP")


def stage_copy(
    cursor: Any, name: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """COPY rows into a staging table through psycopg; returns how many were staged."""
    count = 0
    raw = cursor.cursor  # the psycopg cursor under Django's wrapper
    with raw.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def problems_from(
    cursor: Any, sql: str, params: Sequence[Any] | dict | None = None
) -> list[FeatureProblem]:
    """Problems from a query returning (index, reason) rows."""
    cursor.execute(sql, params)
    return [
        FeatureProblem(index=int(index), reason=str(reason)) for index, reason in cursor.fetchall()
    ]


GEOMETRY_CHECKS = """
SELECT idx,
       CASE WHEN ST_IsEmpty(geom) THEN %(empty)s
            WHEN ST_XMin(geom) < -180 OR ST_XMax(geom) > 180
              OR ST_YMin(geom) < -90 OR ST_YMax(geom) > 90 THEN %(range)s
            WHEN NOT ST_IsValid(geom) THEN %(invalid)s || ST_IsValidReason(geom)
            ELSE %(type)s || GeometryType(geom) END
  FROM {table}
 WHERE ST_IsEmpty(geom)
    OR ST_XMin(geom) < -180 OR ST_XMax(geom) > 180 OR ST_YMin(geom) < -90 OR ST_YMax(geom) > 90
    OR NOT ST_IsValid(geom)
    OR GeometryType(geom) <> ALL(%(types)s)
"""
POLYGONAL = ["POLYGON", "MULTIPOLYGON"]
ANY_SIMPLE = ["POINT", "MULTIPOINT", "LINESTRING", "MULTILINESTRING", "POLYGON", "MULTIPOLYGON"]


def geometry_problems(cursor: Any, table: str, *, types: list[str]) -> list[FeatureProblem]:
    """Empty, out-of-range (a wrong CRS), invalid or wrongly typed geometries, with reasons."""
    return problems_from(
        cursor,
        GEOMETRY_CHECKS.format(table=table),
        {
            "empty": _("几何为空"),
            "range": _("坐标超出经纬度范围，源坐标系可能不对（检查 --srid）"),
            "invalid": _("几何无效："),
            "type": _("几何类型不符，应为 %(types)s，实际为 ") % {"types": "/".join(types)},
            "types": types,
        },
    )


def duplicate_problems(cursor: Any, table: str, column: str, what: str) -> list[FeatureProblem]:
    cursor.execute(
        f"""
        SELECT {column}, array_agg(idx ORDER BY idx) FROM {table}
         WHERE {column} IS NOT NULL GROUP BY {column} HAVING count(*) > 1
        """
    )
    problems = []
    for value, indexes in cursor.fetchall():
        for index in indexes[1:]:
            problems.append(
                FeatureProblem(
                    index=index,
                    reason=_("%(what)s %(value)s 与第 %(first)s 个要素重复")
                    % {"what": what, "value": value, "first": indexes[0]},
                )
            )
    return problems


def raise_if_any(problems: list[FeatureProblem], *, total: int) -> None:
    if problems:
        raise ImportFailed(problems, total=total)


def counted(rows: Iterable[Any], progress: Progress | None) -> Iterator[Any]:
    """Pass rows through, telling `progress` every PROGRESS_EVERY rows."""
    pending = 0
    for row in rows:
        yield row
        pending += 1
        if progress is not None and pending >= PROGRESS_EVERY:
            progress(pending)
            pending = 0
    if progress is not None and pending:
        progress(pending)


def cursor() -> Any:
    return connection.cursor()

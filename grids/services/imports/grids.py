"""import_grids: unit grids with their codes, grades and start dates; areas measured in PostGIS."""

# SQL here is composed only from module constants (table and column names); every value is a
# bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gridcity.errors import ValidationFailed
from grids import codes
from grids.io.fields import GRID_FIELDS, FeatureProblem, field_map, parse_date
from grids.io.source import FeatureSource
from grids.services.components import RELOCATE_SQL
from grids.services.imports.staging import (
    POLYGONAL,
    ImportResult,
    Progress,
    all_or_nothing,
    counted,
    cursor,
    duplicate_problems,
    geometry_problems,
    problems_from,
    raise_if_any,
    stage_copy,
    stage_create,
)

STAGE = "grids_stage_grid"
COLUMNS = ("idx", "code", "grade", "valid_from", "geom")
GRADES = {"1": 1, "2": 2, "3": 3, "一级": 1, "二级": 2, "三级": 3}


def _grade(value: str, default: int) -> int:
    value = (value or "").strip()
    if not value:
        return default
    if value.endswith(".0"):  # numeric columns come out of some formats as 2.0
        value = value[:-2]
    if value not in GRADES:
        raise ValidationFailed(
            _("管理等级“%(value)s”无效（1、2、3 或 一级、二级、三级）") % {"value": value}
        )
    return GRADES[value]


def grids_import(
    *,
    source: FeatureSource,
    valid_from: date | None = None,
    replace: bool = False,
    grade: int = 2,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import grids; each one's community is the first 12 digits of its code and must exist.

    A grid whose code is in force is refused unless `replace`, which retires that version the day
    the new one starts (its components move to the new grids). Start dates come from a column
    (valid_from / ORDate) or `valid_from`, default today, never in the future.
    """
    names = field_map(source.info.fields, GRID_FIELDS)
    if "code" not in names:
        raise ValidationFailed(
            _("图层缺少网格编码字段（code 或 BGID；现有：%(have)s）。")
            % {"have": "、".join(source.info.fields)},
            code="missing_fields",
        )
    today = timezone.localdate()
    default_day = valid_from or today
    problems: list[FeatureProblem] = []
    result = ImportResult(total=0, dry_run=dry_run)

    def rows() -> Iterator[tuple[Any, ...]]:
        for index, attrs, wkt in counted(source.rows(), progress):
            result.total = index
            try:
                code = codes.validate_grid_code(attrs.get(names["code"], ""))
                level = _grade(attrs.get(names.get("grade", ""), ""), grade)
                day = parse_date(attrs.get(names.get("valid_from", ""), ""), what=_("启用日期"))
                day = day or default_day
                if day > today:
                    raise ValidationFailed(_("启用日期 %(day)s 晚于今天") % {"day": day})
                if not wkt:
                    raise ValidationFailed(_("缺少几何"))
            except ValidationFailed as exc:
                problems.append(FeatureProblem(index=index, reason=exc.message))
                continue
            yield index, code, level, day, f"SRID=4326;{wkt}"

    with all_or_nothing(dry_run=dry_run), cursor() as cur:
        stage_create(
            cur,
            STAGE,
            "idx integer, code text, grade smallint, valid_from date,"
            " geom geometry(Geometry, 4326), community_id bigint, old_id bigint",
        )
        stage_copy(cur, STAGE, COLUMNS, rows())
        problems += geometry_problems(cur, STAGE, types=POLYGONAL)
        problems += duplicate_problems(cur, STAGE, "code", _("网格编码"))
        cur.execute(
            f"""
            UPDATE {STAGE} s SET community_id = a.id
              FROM grids_area a WHERE a.code = left(s.code, 12) AND a.level = 'community'
            """
        )
        problems += problems_from(
            cur,
            f"SELECT idx, %s || left(code, 12) FROM {STAGE} WHERE community_id IS NULL",
            [_("所属社区不存在：")],
        )
        cur.execute(
            f"""
            UPDATE {STAGE} s SET old_id = g.id
              FROM grids_grid g WHERE g.code = s.code AND g.valid_to IS NULL
            """
        )
        if replace:
            problems += problems_from(
                cur,
                f"""
                SELECT s.idx, %s || g.valid_from::text
                  FROM {STAGE} s JOIN grids_grid g ON g.id = s.old_id
                 WHERE s.valid_from <= g.valid_from
                """,
                [_("新版本的启用日期须晚于现行版本的启用日期 ")],
            )
        else:
            problems += problems_from(
                cur,
                f"SELECT idx, %s || code FROM {STAGE} WHERE old_id IS NOT NULL",
                [_("网格已在使用（替换请加 --replace）：")],
            )
        problems += problems_from(
            cur,
            f"""
            SELECT s.idx, %s || s.code FROM {STAGE} s
              JOIN grids_grid g ON g.code = s.code AND g.valid_from >= s.valid_from
                               AND g.valid_to IS NOT NULL
            """,
            [_("该网格已有同日或更晚启用的历史版本：")],
        )
        raise_if_any(problems, total=result.total)

        cur.execute(
            f"""
            UPDATE grids_grid g SET valid_to = s.valid_from
              FROM {STAGE} s WHERE g.id = s.old_id
            """
        )
        result.updated = cur.rowcount
        cur.execute(
            f"""
            INSERT INTO grids_grid (code, community_id, boundary, area_m2, grade, valid_from)
            SELECT code, community_id, ST_Multi(geom), ST_Area(geom::geography), grade, valid_from
              FROM {STAGE} ORDER BY idx
            """
        )
        result.created = cur.rowcount
        # Components of replaced grids, and unplaced ones now inside a grid, find their grid.
        cur.execute(
            RELOCATE_SQL
            % {
                "where": f"""c2.grid_id IN (SELECT old_id FROM {STAGE} WHERE old_id IS NOT NULL)
                   OR (c2.grid_id IS NULL AND EXISTS (
                       SELECT 1 FROM {STAGE} s WHERE s.geom && c2.geometry
                          AND ST_Covers(s.geom, ST_PointOnSurface(c2.geometry))))"""
            },
            {"day": today},
        )
        cur.execute(f"DROP TABLE {STAGE}")
    return result

"""import_areas: districts, streets and communities with their boundaries."""

# SQL here is composed only from module constants (table and column names); every value is a
# bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from gridcity.errors import ValidationFailed
from grids import codes
from grids.io.fields import AREA_FIELDS, FeatureProblem, field_map
from grids.io.source import FeatureSource
from grids.models import Area
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

STAGE = "grids_stage_area"
COLUMNS = ("idx", "code", "level", "name", "geom")


def areas_import(
    *,
    source: FeatureSource,
    update: bool = False,
    code_field: str | None = None,
    name_field: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import areas of any level from one layer; the level follows from the code's length and
    the parent from its prefix (in the file or already stored). With `update`, areas that exist
    get the file's name and boundary; without it they are reported."""
    names = field_map(source.info.fields, AREA_FIELDS)
    if code_field:
        names["code"] = code_field
    if name_field:
        names["name"] = name_field
    missing = [key for key in ("code", "name") if key not in names]
    if missing:
        raise ValidationFailed(
            _("图层缺少字段：%(fields)s（现有：%(have)s）。")
            % {"fields": "、".join(missing), "have": "、".join(source.info.fields)},
            code="missing_fields",
        )
    problems: list[FeatureProblem] = []
    result = ImportResult(total=0, dry_run=dry_run)

    def rows() -> Iterator[tuple[Any, ...]]:
        for index, attrs, wkt in counted(source.rows(), progress):
            result.total = index
            code = (attrs.get(names["code"]) or "").strip()
            name = (attrs.get(names["name"]) or "").strip()
            try:
                level = codes.area_level_for_code(code)
                codes.validate_area_code(code)
                if not name:
                    raise ValidationFailed(_("缺少名称"))
                if not wkt:
                    raise ValidationFailed(_("缺少几何"))
            except ValidationFailed as exc:
                problems.append(FeatureProblem(index=index, reason=exc.message))
                continue
            yield index, code, level, name, f"SRID=4326;{wkt}"

    with all_or_nothing(dry_run=dry_run), cursor() as cur:
        stage_create(
            cur,
            STAGE,
            "idx integer, code text, level text, name text, geom geometry(Geometry, 4326)",
        )
        stage_copy(cur, STAGE, COLUMNS, rows())
        problems += geometry_problems(cur, STAGE, types=POLYGONAL)
        problems += duplicate_problems(cur, STAGE, "code", _("区划编码"))
        if not update:
            problems += problems_from(
                cur,
                f"SELECT s.idx, %s || s.code FROM {STAGE} s JOIN grids_area a ON a.code = s.code",
                [_("区划已存在（更新请加 --update）：")],
            )
        problems += problems_from(
            cur,
            f"""
            SELECT s.idx, %s || left(s.code, CASE s.level WHEN 'street' THEN 6 ELSE 9 END)
              FROM {STAGE} s
             WHERE s.level <> 'district'
               AND NOT EXISTS (
                   SELECT 1 FROM grids_area a
                    WHERE a.code = left(s.code, CASE s.level WHEN 'street' THEN 6 ELSE 9 END))
               AND NOT EXISTS (
                   SELECT 1 FROM {STAGE} p
                    WHERE p.code = left(s.code, CASE s.level WHEN 'street' THEN 6 ELSE 9 END))
            """,
            [_("上级区划不存在：")],
        )
        raise_if_any(problems, total=result.total)
        for level in (Area.Level.DISTRICT, Area.Level.STREET, Area.Level.COMMUNITY):
            cur.execute(
                f"""
                WITH written AS (
                    INSERT INTO grids_area (level, code, name, parent_id, boundary)
                    SELECT s.level, s.code, s.name, p.id, ST_Multi(s.geom)
                      FROM {STAGE} s
                      LEFT JOIN grids_area p
                        ON p.code = left(s.code, CASE s.level WHEN 'street' THEN 6 ELSE 9 END)
                       AND s.level <> 'district'
                     WHERE s.level = %s
                    ON CONFLICT (code) DO UPDATE
                       SET name = EXCLUDED.name, boundary = EXCLUDED.boundary
                    RETURNING (xmax = 0) AS inserted)
                SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
                  FROM written
                """,
                [level],
            )
            created, updated = cur.fetchone()
            result.created += created
            result.updated += updated
        cur.execute(f"DROP TABLE {STAGE}")
    return result

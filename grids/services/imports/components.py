"""import_components: the bulk loader. Rows are checked in Python as they stream, COPYed into a
staging table, placed in grids by one SQL statement, given identifiers in bulk, and inserted
with INSERT … SELECT — no per-row ORM saves, so a million components load in minutes."""

# SQL here is composed only from module constants (table and column names); every value is a
# bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from gridcity.errors import DomainError, ValidationFailed
from grids import codes
from grids.io.fields import (
    COMPONENT_FIELDS,
    FeatureProblem,
    field_map,
    parse_data_source,
    parse_date,
    parse_status,
)
from grids.io.source import FeatureSource
from grids.models import Category
from grids.selectors import category_resolver
from grids.services.imports.staging import (
    ANY_SIMPLE,
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

STAGE = "grids_stage_component"
POINTS = "grids_stage_component_point"
TEXT_FIELDS = (
    "name",
    "supervising_unit_name",
    "owner_unit_name",
    "maintenance_unit_name",
    "remarks",
)
UNIT_CODES = ("supervising_unit_code", "owner_unit_code", "maintenance_unit_code")
COLUMNS = (
    "idx",
    "identifier",
    "category_id",
    "class_code",
    *TEXT_FIELDS,
    *UNIT_CODES,
    "claimed_grid",
    "status",
    "survey_date",
    "change_date",
    "data_source",
    "geom",
)
ATTRIBUTES = (
    "name",
    "supervising_unit_code",
    "supervising_unit_name",
    "owner_unit_code",
    "owner_unit_name",
    "maintenance_unit_code",
    "maintenance_unit_name",
    "status",
    "survey_date",
    "change_date",
    "data_source",
    "remarks",
)
PLACED = ("grid_id", "grid_code", "street_code", "street_name", "community_code", "community_name")
MISMATCH_EXAMPLES = 20


def _category_reader(
    names: dict[str, str], category: Category | None
) -> Callable[[dict[str, str], codes.ComponentIdentifier | None], Category]:
    resolve = category_resolver(kind=Category.Kind.COMPONENT)
    today = timezone.localdate()

    def read(attrs: dict[str, str], parts: codes.ComponentIdentifier | None) -> Category:
        raw = (attrs.get(names["category"], "") if "category" in names else "").strip()
        if raw:
            found = resolve(raw)
        elif category is not None:
            found = category
        elif parts is not None:
            found = resolve(parts.class_code)
        else:
            raise ValidationFailed(_("没有类别：文件无类别列、无标识码，也未指定 --category"))
        if parts is not None and not parts.is_legacy and parts.class_code != found.code:
            raise ValidationFailed(
                _("标识码中的类别 %(inner)s 与类别 %(code)s 不一致")
                % {"inner": parts.class_code, "code": found.code}
            )
        if found.kind != Category.Kind.COMPONENT:
            raise ValidationFailed(_("%(c)s 不是部件类别") % {"c": found})
        if not found.is_active(on=today):
            raise ValidationFailed(_("类别 %(c)s 已停用") % {"c": found})
        return found

    return read


def components_import(
    *,
    source: FeatureSource,
    category: Category | None = None,
    update: bool = False,
    allow_outside: bool = False,
    district_code: str = "",
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Import components with the 18 attributes of GB/T 47678.5 under the project's own or the
    legacy exchange names. The category comes from a category column, else `category`, else the
    class digits of the identifier (legacy 4-digit classes through the legacy table). The grid,
    street and community always come from the geometry; a BGID that disagrees is a warning.
    Components without identifier get the next serials of their district and class.
    """
    names = field_map(source.info.fields, COMPONENT_FIELDS)
    if district_code:
        codes.validate_district_code(district_code)
    read_category = _category_reader(names, category)
    problems: list[FeatureProblem] = []
    result = ImportResult(total=0, dry_run=dry_run)

    def text(attrs: dict[str, str], key: str) -> str:
        return (attrs.get(names[key], "") if key in names else "").strip()

    survey_label, change_label = _("初始日期"), _("变更日期")

    def rows() -> Iterator[tuple[Any, ...]]:
        for index, attrs, wkt in counted(source.rows(), progress):
            result.total = index
            try:
                identifier = text(attrs, "identifier")
                parts = codes.parse_component_identifier(identifier) if identifier else None
                found = read_category(attrs, parts)
                row = (
                    index,
                    str(parts) if parts else None,
                    found.pk,
                    found.code,
                    *(text(attrs, key) for key in TEXT_FIELDS),
                    *(codes.validate_unit_code(text(attrs, key)) for key in UNIT_CODES),
                    text(attrs, "grid_code"),
                    parse_status(text(attrs, "status")),
                    parse_date(text(attrs, "survey_date"), what=survey_label),
                    parse_date(text(attrs, "change_date"), what=change_label),
                    parse_data_source(text(attrs, "data_source")),
                )
                if not wkt:
                    raise ValidationFailed(_("缺少几何"))
            except DomainError as exc:
                problems.append(FeatureProblem(index=index, reason=exc.message))
                continue
            yield (*row, f"SRID=4326;{wkt}")

    with all_or_nothing(dry_run=dry_run), cursor() as cur:
        stage_create(
            cur,
            STAGE,
            "idx integer, identifier text, category_id bigint, class_code text,"
            + "".join(f" {c} text," for c in TEXT_FIELDS + UNIT_CODES)
            + " claimed_grid text, status text, survey_date date, change_date date,"
            " data_source text, geom geometry(Geometry, 4326), grid_id bigint, district text",
        )
        stage_copy(cur, STAGE, COLUMNS, rows())
        problems += geometry_problems(cur, STAGE, types=ANY_SIMPLE)
        problems += duplicate_problems(cur, STAGE, "identifier", _("标识码"))
        cur.execute(f"CREATE INDEX ON {STAGE} (idx)")
        _place(cur, day=timezone.localdate())
        if not allow_outside:
            problems += problems_from(
                cur,
                f"SELECT idx, %s FROM {STAGE} WHERE grid_id IS NULL AND ST_IsValid(geom)",
                [_("位置不在任何现行单元网格内")],
            )
        cur.execute(
            f"""UPDATE {STAGE} s SET district = coalesce(
                       (SELECT left(g.code, 6) FROM grids_grid g WHERE g.id = s.grid_id), %s)
                 WHERE s.identifier IS NULL""",
            [district_code or None],
        )
        if allow_outside:
            problems += problems_from(
                cur,
                f"SELECT idx, %s FROM {STAGE} WHERE identifier IS NULL AND district IS NULL",
                [_("不在网格内又无标识码：生成标识码需要 --district")],
            )
        if not update:
            problems += problems_from(
                cur,
                f"""SELECT s.idx, %s || s.identifier FROM {STAGE} s
                      JOIN grids_component c ON c.identifier = s.identifier""",
                [_("标识码已存在（更新请加 --update）：")],
            )
        raise_if_any(problems, total=result.total)
        _issue_identifiers(cur)
        result.created, result.updated = _write(cur, update=update)
        result.warnings = _grid_mismatches(cur)
        cur.execute(f"DROP TABLE {STAGE}")
    return result


def _place(cur: Any, *, day: Any) -> None:
    """Each staged component's grid: the current grid covering its point on surface, the lowest
    id on shared edges. The join is driven by the grids over a GiST index of the staged points,
    so PostGIS prepares each grid polygon once for all the points it holds — many times faster
    than probing the grids' index once per component."""
    # The points go into a table of their own: an index built on rows this transaction has
    # updated could not be used by this transaction (broken HOT chains, pg_index.indcheckxmin).
    cur.execute(f"DROP TABLE IF EXISTS {POINTS}")
    cur.execute(
        f"""CREATE TEMP TABLE {POINTS} ON COMMIT DROP AS
            SELECT idx, ST_PointOnSurface(geom) AS pt FROM {STAGE}
             WHERE NOT ST_IsEmpty(geom) AND ST_IsValid(geom)"""
    )
    cur.execute(f"CREATE INDEX ON {POINTS} USING gist (pt)")
    cur.execute(f"ANALYZE {POINTS}")
    cur.execute(
        f"""
        UPDATE {STAGE} s SET grid_id = m.grid_id
          FROM (SELECT p.idx, min(g.id) AS grid_id
                  FROM grids_grid g JOIN {POINTS} p ON ST_Covers(g.boundary, p.pt)
                 WHERE g.valid_from <= %(day)s AND (g.valid_to IS NULL OR g.valid_to > %(day)s)
                 GROUP BY p.idx) AS m
         WHERE s.idx = m.idx
        """,
        {"day": day},
    )
    cur.execute(f"DROP TABLE {POINTS}")


def _issue_identifiers(cur: Any) -> None:
    """Bump each (district, class) counter past explicit serials, then reserve one block per
    pair for the rows without identifier and number them in file order."""
    try:
        cur.execute(
            f"""
            INSERT INTO grids_componentserial (district_code, class_code, last_serial)
            SELECT left(identifier, 6), substr(identifier, 7, 5), max(right(identifier, 6)::int)
              FROM {STAGE} WHERE length(identifier) = 17 GROUP BY 1, 2
            ON CONFLICT (district_code, class_code) DO UPDATE
               SET last_serial = GREATEST(grids_componentserial.last_serial, EXCLUDED.last_serial)
            """
        )
        cur.execute(
            f"""
            WITH need AS (
                SELECT district, class_code, count(*) AS n FROM {STAGE}
                 WHERE identifier IS NULL GROUP BY 1, 2 ORDER BY 1, 2),
            reserved AS (
                INSERT INTO grids_componentserial (district_code, class_code, last_serial)
                SELECT district, class_code, n FROM need
                ON CONFLICT (district_code, class_code) DO UPDATE
                   SET last_serial = grids_componentserial.last_serial + EXCLUDED.last_serial
                RETURNING district_code, class_code, last_serial),
            numbered AS (
                SELECT idx, district, class_code,
                       row_number() OVER (PARTITION BY district, class_code ORDER BY idx) AS rn
                  FROM {STAGE} WHERE identifier IS NULL)
            UPDATE {STAGE} s
               SET identifier = n.district || n.class_code
                              || lpad((r.last_serial - need.n + n.rn)::text, 6, '0')
              FROM numbered n
              JOIN need ON need.district = n.district AND need.class_code = n.class_code
              JOIN reserved r ON r.district_code = n.district AND r.class_code = n.class_code
             WHERE s.idx = n.idx
            """
        )
    except IntegrityError as exc:
        raise ValidationFailed(
            _("部件流水号不足：某区县某类别的流水号超过 999999。"), code="serial_exhausted"
        ) from exc


def _write(cur: Any, *, update: bool) -> tuple[int, int]:
    assignments = ", ".join(
        f"{c} = EXCLUDED.{c}" for c in (*ATTRIBUTES, "category_id", "geometry", *PLACED)
    )
    # Without --update an identifier that appeared since the checks is an error, not an update.
    conflict = f"ON CONFLICT (identifier) DO UPDATE SET {assignments}" if update else ""
    cur.execute(
        f"""
        WITH written AS (
            INSERT INTO grids_component (
                identifier, category_id, {", ".join(ATTRIBUTES)}, geometry, {", ".join(PLACED)})
            SELECT s.identifier, s.category_id, {", ".join("s." + a for a in ATTRIBUTES)},
                   s.geom, s.grid_id, coalesce(g.code, ''), coalesce(st.code, ''),
                   coalesce(st.name, ''), coalesce(cm.code, ''), coalesce(cm.name, '')
              FROM {STAGE} s
              LEFT JOIN grids_grid g ON g.id = s.grid_id
              LEFT JOIN grids_area cm ON cm.id = g.community_id
              LEFT JOIN grids_area st ON st.id = cm.parent_id
             ORDER BY s.idx
            {conflict}
            RETURNING (xmax = 0) AS inserted)
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
        """
    )
    created, updated = cur.fetchone()
    return int(created), int(updated)


def _grid_mismatches(cur: Any) -> list[str]:
    cur.execute(
        f"""
        SELECT s.idx, s.claimed_grid, coalesce(g.code, '')
          FROM {STAGE} s LEFT JOIN grids_grid g ON g.id = s.grid_id
         WHERE s.claimed_grid <> '' AND s.claimed_grid <> coalesce(g.code, '')
         ORDER BY s.idx
        """
    )
    rows = cur.fetchall()
    if not rows:
        return []
    examples = "；".join(
        _("第 %(i)s 个：%(claimed)s → %(actual)s") % {"i": i, "claimed": c, "actual": a or "—"}
        for i, c, a in rows[:MISMATCH_EXAMPLES]
    )
    return [
        _("%(n)s 个部件文件中的网格编码与按位置确定的网格不同，已按位置登记。例如：%(examples)s")
        % {"n": len(rows), "examples": examples}
    ]

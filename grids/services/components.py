"""Writes to components: registration with a generated identifier, changes, and relocation to
grids when grids change. The bulk loader is in grids.services.imports."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridcity.errors import Conflict, ValidationFailed
from grids import codes
from grids.models import Category, Component
from grids.spatial import check_geometry, representative_point

# One statement re-derives grid, grid code, street and community of the selected components
# from their geometry; "%(where)s" selects them. Shared-edge ties go to the lowest grid id, as in
# selectors.grid_for_point.
RELOCATE_SQL = """
UPDATE grids_component AS c
   SET grid_id = r.grid_id,
       grid_code = COALESCE(r.grid_code, ''),
       community_code = COALESCE(r.community_code, ''),
       community_name = COALESCE(r.community_name, ''),
       street_code = COALESCE(r.street_code, ''),
       street_name = COALESCE(r.street_name, '')
  FROM (
    SELECT c2.id, g.id AS grid_id, g.code AS grid_code,
           cm.code AS community_code, cm.name AS community_name,
           st.code AS street_code, st.name AS street_name
      FROM grids_component AS c2
      LEFT JOIN LATERAL (
            SELECT g.id, g.code, g.community_id
              FROM grids_grid AS g
             WHERE g.valid_from <= %%(day)s
               AND (g.valid_to IS NULL OR g.valid_to > %%(day)s)
               AND ST_Covers(g.boundary, ST_PointOnSurface(c2.geometry))
             ORDER BY g.id
             LIMIT 1) AS g ON true
      LEFT JOIN grids_area AS cm ON cm.id = g.community_id
      LEFT JOIN grids_area AS st ON st.id = cm.parent_id
     WHERE %(where)s
  ) AS r
 WHERE c.id = r.id
"""

UPDATABLE_FIELDS = frozenset(
    {
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
        "geometry",
        "category",
    }
)
UNIT_CODE_FIELDS = ("supervising_unit_code", "owner_unit_code", "maintenance_unit_code")


def components_relocate(
    *, grid_ids: Sequence[int], unplaced_within: GEOSGeometry | None = None
) -> int:
    """Re-place the components of the given grids, plus unplaced ones inside `unplaced_within`
    (the boundary of new grids): run whenever grids come into or go out of force."""
    clauses, params = [], {"day": timezone.localdate()}
    if grid_ids:
        clauses.append("c2.grid_id = ANY(%(grid_ids)s)")
        params["grid_ids"] = list(grid_ids)
    if unplaced_within is not None:
        clauses.append(
            "(c2.grid_id IS NULL AND c2.geometry && %(bounds)s::geometry"
            " AND ST_Covers(%(bounds)s::geometry, ST_PointOnSurface(c2.geometry)))"
        )
        params["bounds"] = unplaced_within.hexewkb.decode()
    if not clauses:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(RELOCATE_SQL % {"where": " OR ".join(clauses)}, params)
        return cursor.rowcount


def serial_reserve(*, district_code: str, class_code: str, count: int = 1) -> int:
    """Reserve `count` consecutive serials for (district, class); returns the first.

    The upsert takes the counter row's lock until the transaction ends, so two writers never
    receive the same serial, and a rolled-back writer leaves no gap.
    """
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO grids_componentserial (district_code, class_code, last_serial)
                VALUES (%s, %s, %s)
                ON CONFLICT (district_code, class_code)
                DO UPDATE SET last_serial = grids_componentserial.last_serial + EXCLUDED.last_serial
                RETURNING last_serial
                """,
                [district_code, class_code, count],
            )
            last = cursor.fetchone()[0]
    except IntegrityError as exc:
        raise ValidationFailed(
            _("区县 %(d)s 类别 %(c)s 的部件流水号已用尽（最多 999999）。")
            % {"d": district_code, "c": class_code},
            code="serial_exhausted",
        ) from exc
    return last - count + 1


def serial_note_used(*, district_code: str, class_code: str, serial: int) -> None:
    """Keep the counter at or above a serial that arrived with an explicit identifier."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO grids_componentserial (district_code, class_code, last_serial)
            VALUES (%s, %s, %s)
            ON CONFLICT (district_code, class_code) DO UPDATE
            SET last_serial = GREATEST(grids_componentserial.last_serial, EXCLUDED.last_serial)
            """,
            [district_code, class_code, serial],
        )


def _check_category(category: Category) -> Category:
    if category.kind != Category.Kind.COMPONENT:
        raise ValidationFailed(
            _("%(category)s 是事件类别，部件须使用部件类别。") % {"category": category},
            code="not_a_component_category",
        )
    if not category.is_active():
        raise ValidationFailed(
            _("类别 %(category)s 已于 %(day)s 停用。")
            % {"category": category, "day": category.retired_on},
            code="category_retired",
        )
    return category


def _check_choice(value: str, choices: type, what: str) -> str:
    if value not in choices.values:
        raise ValidationFailed(
            _("%(what)s“%(value)s”无效。") % {"what": what, "value": value}, code="invalid_choice"
        )
    return value


def _place(component: Component, *, allow_outside: bool) -> None:
    from grids.selectors import grid_for_point

    try:
        grid = grid_for_point(point=representative_point(component.geometry))
    except ValidationFailed:
        if not allow_outside:
            raise
        grid = None
    component.grid = grid
    community = grid.community if grid else None
    street = community.parent if community else None
    component.grid_code = grid.code if grid else ""
    component.community_code = community.code if community else ""
    component.community_name = community.name if community else ""
    component.street_code = street.code if street else ""
    component.street_name = street.name if street else ""


def component_create(
    *,
    category: Category,
    geometry: GEOSGeometry,
    identifier: str = "",
    name: str = "",
    supervising_unit_code: str = "",
    supervising_unit_name: str = "",
    owner_unit_code: str = "",
    owner_unit_name: str = "",
    maintenance_unit_code: str = "",
    maintenance_unit_name: str = "",
    status: str = Component.Status.INTACT,
    survey_date: date | None = None,
    change_date: date | None = None,
    data_source: str = Component.DataSource.SURVEYED,
    remarks: str = "",
    district_code: str = "",
    allow_outside: bool = False,
) -> Component:
    """Register a component. Its grid, street and community come from its geometry; without an
    identifier the next serial of (district, class) is issued. `district_code` is needed only
    for a component outside every grid without an identifier."""
    _check_category(category)
    component = Component(
        category=category,
        geometry=check_geometry(geometry, what=_("部件")),
        name=name.strip(),
        supervising_unit_code=codes.validate_unit_code(supervising_unit_code),
        supervising_unit_name=supervising_unit_name.strip(),
        owner_unit_code=codes.validate_unit_code(owner_unit_code),
        owner_unit_name=owner_unit_name.strip(),
        maintenance_unit_code=codes.validate_unit_code(maintenance_unit_code),
        maintenance_unit_name=maintenance_unit_name.strip(),
        status=_check_choice(status, Component.Status, _("状态")),
        survey_date=survey_date or timezone.localdate(),
        change_date=change_date,
        data_source=_check_choice(data_source, Component.DataSource, _("数据来源")),
        remarks=remarks,
    )
    with transaction.atomic():
        _place(component, allow_outside=allow_outside)
        if identifier:
            component.identifier = codes.validate_component_identifier(
                identifier, class_code=category.code
            )
            parts = codes.parse_component_identifier(component.identifier)
            if not parts.is_legacy:
                serial_note_used(
                    district_code=parts.district_code,
                    class_code=parts.class_code,
                    serial=parts.serial,
                )
            if Component.objects.filter(identifier=component.identifier).exists():
                raise Conflict(
                    _("部件标识码 %(id)s 已存在。") % {"id": component.identifier},
                    code="identifier_taken",
                )
        else:
            district = district_code or component.grid_code[:6]
            if not district:
                raise ValidationFailed(
                    _("部件不在任何网格内，生成标识码需要指定区县编码。"),
                    code="district_required",
                )
            codes.validate_district_code(district)
            serial = serial_reserve(district_code=district, class_code=category.code)
            component.identifier = codes.component_identifier_make(
                district_code=district, class_code=category.code, serial=serial
            )
        component.save()
    return component


def component_update(
    *, component: Component, changes: Mapping[str, Any], allow_outside: bool = False
) -> Component:
    """Change a component's attributes. A new geometry re-places it in a grid; a change of
    status or place records today as the change date unless one is given."""
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationFailed(
            _("不能修改的字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))},
            code="readonly_field",
        )
    with transaction.atomic():
        component = Component.objects.select_for_update().get(pk=component.pk)
        fields: set[str] = set()
        for field, value in changes.items():
            if field == "category":
                _check_category(value)
                if value.pk != component.category_id and len(component.identifier) == 17:
                    raise ValidationFailed(
                        _("标识码 %(id)s 含有类别编码，改变类别须重新登记部件。")
                        % {"id": component.identifier},
                        code="identifier_category_mismatch",
                    )
            elif field == "geometry":
                value = check_geometry(value, what=_("部件 %(id)s") % {"id": component.identifier})
            elif field in UNIT_CODE_FIELDS:
                value = codes.validate_unit_code(value)
            elif field == "status":
                _check_choice(value, Component.Status, _("状态"))
            elif field == "data_source":
                _check_choice(value, Component.DataSource, _("数据来源"))
            if getattr(component, field) != value:
                setattr(component, field, value)
                fields.add(field)
        if "geometry" in fields:
            _place(component, allow_outside=allow_outside)
            fields |= {
                "grid",
                "grid_code",
                "community_code",
                "community_name",
                "street_code",
                "street_name",
            }
        if fields & {"geometry", "status"} and "change_date" not in changes:
            component.change_date = timezone.localdate()
            fields.add("change_date")
        if fields:
            component.save(update_fields=sorted(fields))
    return component

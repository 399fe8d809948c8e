"""Writes to the administrative areas: district → street/town → community/village."""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils.translation import gettext as _

from gridcity.errors import Conflict, ValidationFailed
from grids import codes
from grids.models import Area
from grids.spatial import as_multipolygon

PARENT_LEVEL = {
    Area.Level.STREET: Area.Level.DISTRICT,
    Area.Level.COMMUNITY: Area.Level.STREET,
}


def _parent_for(code: str, level: str) -> Area | None:
    if level == Area.Level.DISTRICT:
        return None
    parent_code = code[:6] if level == Area.Level.STREET else code[:9]
    parent = Area.objects.filter(code=parent_code, level=PARENT_LEVEL[level]).first()
    if parent is None:
        raise ValidationFailed(
            _("%(code)s 的上级区划 %(parent)s 不存在，请先导入上级。")
            % {"code": code, "parent": parent_code},
            code="parent_missing",
        )
    return parent


def area_create(*, code: str, name: str, boundary: GEOSGeometry | None = None) -> Area:
    """Create an area; its level comes from the code's length and its parent from the prefix."""
    level = codes.area_level_for_code(code)
    code = codes.validate_area_code(code)
    name = name.strip()
    if not name:
        raise ValidationFailed(_("区划 %(code)s 缺少名称。") % {"code": code}, code="name_required")
    shape = (
        as_multipolygon(boundary, what=_("区划 %(code)s") % {"code": code}) if boundary else None
    )
    with transaction.atomic():
        if Area.objects.filter(code=code).exists():
            raise Conflict(_("区划 %(code)s 已存在。") % {"code": code}, code="area_exists")
        return Area.objects.create(
            level=level, code=code, name=name, parent=_parent_for(code, level), boundary=shape
        )


def area_update(
    *, area: Area, name: str | None = None, boundary: GEOSGeometry | None = None
) -> Area:
    """Rename an area or redraw its boundary. Codes never change: a new code is a new area."""
    fields: list[str] = []
    with transaction.atomic():
        area = Area.objects.select_for_update().get(pk=area.pk)
        if name is not None and name.strip() and name.strip() != area.name:
            area.name = name.strip()
            fields.append("name")
        if boundary is not None:
            area.boundary = as_multipolygon(boundary, what=_("区划 %(code)s") % {"code": area.code})
            fields.append("boundary")
        if fields:
            area.save(update_fields=fields)
    return area

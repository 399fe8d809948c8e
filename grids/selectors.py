"""Reads of the city model: the grid under a point, components nearby, bounding boxes, the
category directory with its legacy codes. Every non-trivial read of the app goes through here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry, Point
from django.db.models import FloatField, Func, Q, QuerySet, Value
from django.utils.translation import gettext as _

from gridcity.errors import NotFound, ValidationFailed
from grids import codes
from grids.models import Area, Category, Component, Grid, LegacyCategoryCode
from grids.spatial import BBox, bbox_polygon, degree_box, to_wgs84


class GeographyDistance(Func):
    """ST_Distance on the spheroid, in metres: both sides cast to geography."""

    function = "ST_Distance"
    arg_joiner = "::geography, "
    template = "%(function)s(%(expressions)s::geography)"
    output_field = FloatField()


# ---------------------------------------------------------------- areas


def area_get(*, code: str) -> Area:
    area = Area.objects.select_related("parent").filter(code=code).first()
    if area is None:
        raise NotFound(_("区划 %(code)s 不存在。") % {"code": code}, code="area_not_found")
    return area


def area_list(*, level: str | None = None, within: str | None = None) -> QuerySet[Area]:
    areas = Area.objects.select_related("parent")
    if level:
        areas = areas.filter(level=level)
    if within:
        areas = areas.within_code(within)
    return areas


# ---------------------------------------------------------------- grids


def grid_for_point(*, point: Point, on: date | None = None) -> Grid:
    """The current grid covering the point; on a shared edge, the one with the lowest pk."""
    point = to_wgs84(point)
    grid = (
        Grid.objects.current(on=on)
        .filter(boundary__covers=point)
        .select_related("community__parent__parent")
        .order_by("pk")
        .first()
    )
    if grid is None:
        raise ValidationFailed(
            _("位置（经度 %(lon).6f，纬度 %(lat).6f）不在任何现行单元网格内。")
            % {"lon": point.x, "lat": point.y},
            code="outside_city",
        )
    return grid


def grid_by_code(*, code: str, on: date | None = None) -> Grid:
    """The version of a grid in force on a date (today when not given)."""
    grid = (
        Grid.objects.current(on=on)
        .select_related("community__parent__parent")
        .filter(code=code)
        .first()
    )
    if grid is None:
        raise NotFound(_("网格 %(code)s 不存在或已停用。") % {"code": code}, code="grid_not_found")
    return grid


def grid_list(
    *,
    on: date | None = None,
    include_retired: bool = False,
    within: str | None = None,
    bbox: BBox | None = None,
) -> QuerySet[Grid]:
    grids = Grid.objects.select_related("community")
    if not include_retired:
        grids = grids.current(on=on)
    if within:
        grids = grids.within_code(within)
    if bbox is not None:
        grids = in_bbox(grids, field="boundary", bbox=bbox)
    return grids


def in_bbox(queryset: QuerySet, *, field: str, bbox: BBox) -> QuerySet:
    """Rows whose geometry meets the box: the index-backed && test first, then the exact one."""
    box = bbox_polygon(bbox)
    return queryset.filter(**{f"{field}__bboverlaps": box, f"{field}__intersects": box})


# ---------------------------------------------------------------- components


def components_near(
    *, point: Point, meters: float, category: Category | None = None
) -> QuerySet[Component]:
    """Components within `meters` of the point, nearest first, annotated with `distance_m`."""
    if meters <= 0:
        raise ValidationFailed(_("距离必须大于 0 米。"), code="invalid_distance")
    point = to_wgs84(point)
    components = Component.objects.filter(
        geometry__bboverlaps=degree_box(point=point, meters=meters)
    )
    if category is not None:
        components = components.filter(category=category)
    return (
        components.annotate(
            distance_m=GeographyDistance(
                "geometry", Value(point, output_field=GeometryField(srid=point.srid))
            )
        )
        .filter(distance_m__lte=meters)
        .select_related("category", "grid")
        .order_by("distance_m", "pk")
    )


def component_list(
    *,
    bbox: BBox | None = None,
    category: Category | None = None,
    within: str | None = None,
) -> QuerySet[Component]:
    components = Component.objects.select_related("category")
    if category is not None:
        components = components.filter(category=category)
    if within:
        components = components.within_code(within)
    if bbox is not None:
        components = in_bbox(components, field="geometry", bbox=bbox)
    return components


def component_get(*, identifier: str) -> Component:
    component = (
        Component.objects.select_related("category", "grid").filter(identifier=identifier).first()
    )
    if component is None:
        raise NotFound(_("部件 %(id)s 不存在。") % {"id": identifier}, code="component_not_found")
    return component


def geometry_grid(*, geometry: GEOSGeometry, on: date | None = None) -> Grid:
    """The grid a component's geometry belongs to (see spatial.representative_point)."""
    from grids.spatial import representative_point

    return grid_for_point(point=representative_point(to_wgs84(geometry)), on=on)


# ---------------------------------------------------------------- categories


def category_get(*, kind: str, code: str) -> Category:
    category = Category.objects.filter(kind=kind, code=code).first()
    if category is None:
        raise NotFound(
            _("类别 %(kind)s %(code)s 不存在。") % {"kind": kind, "code": code},
            code="category_not_found",
        )
    return category


def category_list(
    *, kind: str | None = None, active_on: date | None = None, q: str = ""
) -> QuerySet[Category]:
    categories = Category.objects.all()
    if kind:
        categories = categories.filter(kind=kind)
    if active_on is not None:
        categories = categories.active(on=active_on)
    if q.strip():
        categories = category_search(categories, q=q)
    return categories


def category_search(categories: QuerySet[Category], *, q: str) -> QuerySet[Category]:
    """Categories matching what a person types: a code prefix, part of the Chinese or English
    name, or the name's pinyin, whole ("jinggai") or by initials ("ssjg")."""
    text = q.strip()
    if text.isdigit():
        return categories.filter(code__startswith=text)
    letters = "".join(text.split()).lower()
    found = Q(name__icontains=text) | Q(name_en__icontains=text)
    if letters.isascii() and letters.isalnum():
        found |= Q(search_keys__contains=letters)
    return categories.filter(found)


def category_resolve(*, kind: str, code: str) -> Category:
    """A category from a current 5-digit code or a legacy 4-digit CJ/T 214 code.

    Legacy codes resolve through an explicit LegacyCategoryCode row first. Without one, a legacy
    matter code follows the published rule (major + 5, minor padded: 0110 → 06010) when the
    result is in the directory. Legacy component codes have no such rule — the 2026 edition
    regrouped the component majors (legacy 05 房屋土地 and 06 其他设施 have no one-to-one
    successor) — so they need an explicit row and are rejected otherwise.
    """
    return category_resolver(kind=kind)(code)


def category_resolver(*, kind: str) -> Callable[[str], Category]:
    """A resolver with the directory and the legacy table held in memory, for bulk imports."""
    by_code = {c.code: c for c in Category.objects.filter(kind=kind)}
    legacy = {
        row.code: row.category
        for row in LegacyCategoryCode.objects.filter(kind=kind).select_related("category")
    }
    kind_label = Category.Kind(kind).label

    def resolve(code: str) -> Category:
        code = (code or "").strip()
        if len(code) == 4 and code.isdigit():
            if code in legacy:
                return legacy[code]
            if kind != Category.Kind.MATTER:
                raise ValidationFailed(
                    _(
                        "旧版部件编码 %(code)s 没有登记对照：GB/T 47678.5-2026 重新编排了部件大类，"
                        "无法按规则换算，请在“旧版编码对照”中登记它对应的现行编码。"
                    )
                    % {"code": code},
                    code="legacy_code_unmapped",
                )
            current = codes.legacy_matter_code_to_current(code)
            if current not in by_code:
                raise ValidationFailed(
                    _(
                        "旧版事件编码 %(code)s 按规则换算为 %(current)s，但现行目录中没有该编码"
                        "（已撤销或另行编排），请在“旧版编码对照”中登记。"
                    )
                    % {"code": code, "current": current},
                    code="legacy_code_unmapped",
                )
            return by_code[current]
        codes.validate_category_code(code)
        if code not in by_code:
            raise NotFound(
                _("%(kind)s类别编码 %(code)s 不在目录中。") % {"kind": kind_label, "code": code},
                code="category_not_found",
            )
        return by_code[code]

    return resolve

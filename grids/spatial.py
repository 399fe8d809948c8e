"""Geometry helpers of the city model: validation, metric areas and local projections.

Geometries are stored in WGS84 (SRID 4326); anything metric is computed by PostGIS on the
spheroid (geography), never in degrees.
"""

from __future__ import annotations

import math

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon
from django.db import connection
from django.utils.translation import gettext as _

from gridcity.errors import ValidationFailed
from gridcity.geo import WGS84

METRES_PER_DEGREE_LAT = 111_320.0


def to_wgs84(geometry: GEOSGeometry) -> GEOSGeometry:
    """A copy in SRID 4326; a geometry without SRID is taken to be WGS84 already."""
    if geometry.srid in (None, WGS84):
        clone = geometry.clone()
        clone.srid = WGS84
        return clone
    return geometry.transform(WGS84, clone=True)


def check_geometry(geometry: GEOSGeometry, *, what: str) -> GEOSGeometry:
    """Reject empty, invalid or non-geographic geometries with the reason GEOS gives."""
    if geometry is None or geometry.empty:
        raise ValidationFailed(_("%(what)s缺少几何。") % {"what": what}, code="invalid_geometry")
    geometry = to_wgs84(geometry)
    if not geometry.valid:
        raise ValidationFailed(
            _("%(what)s的几何无效：%(reason)s") % {"what": what, "reason": geometry.valid_reason},
            code="invalid_geometry",
        )
    xmin, ymin, xmax, ymax = geometry.extent
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        raise ValidationFailed(
            _("%(what)s的坐标超出经纬度范围，坐标系可能不对。") % {"what": what},
            code="invalid_geometry",
        )
    return geometry


def as_multipolygon(geometry: GEOSGeometry, *, what: str) -> MultiPolygon:
    """A valid WGS84 MultiPolygon from a Polygon or MultiPolygon."""
    geometry = check_geometry(geometry, what=what)
    if isinstance(geometry, Polygon):
        return MultiPolygon(geometry, srid=WGS84)
    if isinstance(geometry, MultiPolygon):
        return geometry
    raise ValidationFailed(
        _("%(what)s应为面（Polygon/MultiPolygon），实际为 %(type)s。")
        % {"what": what, "type": geometry.geom_type},
        code="invalid_geometry",
    )


def area_m2(geometry: GEOSGeometry) -> float:
    """The geodesic area on the WGS84 spheroid, in square metres (PostGIS geography)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Area(ST_GeomFromEWKB(%s)::geography)", [bytes(to_wgs84(geometry).ewkb)]
        )
        return float(cursor.fetchone()[0])


def representative_point(geometry: GEOSGeometry) -> Point:
    """The point that places a geometry in a grid: itself for a point, else a point on it.

    GEOS's point-on-surface, the same algorithm as PostGIS's ST_PointOnSurface used by the bulk
    loader, so a component lands in the same grid whichever path created it.
    """
    if isinstance(geometry, Point):
        return geometry
    point = geometry.point_on_surface
    point.srid = geometry.srid
    return point


def degree_box(*, point: Point, meters: float) -> Polygon:
    """A lon/lat box that surely contains every point within `meters` of `point`.

    It is the coarse, index-backed prefilter in front of exact geography distances.
    """
    margin = 1.01  # the spheroid is not a sphere; stay on the generous side
    dlat = meters * margin / METRES_PER_DEGREE_LAT
    coslat = max(math.cos(math.radians(min(abs(point.y) + dlat, 89.9))), 1e-6)
    dlon = meters * margin / (METRES_PER_DEGREE_LAT * coslat)
    box = Polygon.from_bbox(
        (point.x - dlon, max(point.y - dlat, -90), point.x + dlon, min(point.y + dlat, 90))
    )
    box.srid = WGS84
    return box


BBox = tuple[float, float, float, float]  # west, south, east, north, WGS84 degrees


def parse_bbox(value: str) -> BBox:
    """``west,south,east,north`` as written in a URL, checked for order and range;
    ValidationFailed says what is wrong with a malformed one."""
    try:
        numbers = tuple(float(part) for part in value.split(","))
    except ValueError:
        numbers = ()
    if len(numbers) != 4:
        raise ValidationFailed(
            _("范围 bbox 应为 4 个以逗号分隔的数字：西,南,东,北。"), code="invalid_bbox"
        )
    bbox_polygon(numbers)  # type: ignore[arg-type]
    return numbers  # type: ignore[return-value]


def bbox_polygon(bbox: BBox) -> Polygon:
    """A WGS84 polygon from (west, south, east, north), checked for order and range."""
    west, south, east, north = (float(v) for v in bbox)
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise ValidationFailed(
            _("范围 bbox 应为 西,南,东,北（经纬度），且西<东、南<北。"), code="invalid_bbox"
        )
    polygon = Polygon.from_bbox((west, south, east, north))
    polygon.srid = WGS84
    return polygon

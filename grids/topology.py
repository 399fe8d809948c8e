"""The topology check of unit grids: within each community the grids in force must cover it with
no gaps and no overlaps and stay inside it. Areas are geodesic square metres (PostGIS geography)."""

# SQL here is composed only from module constants (table and column names); every value is a
# bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

# Differences smaller than this are coordinate noise (reprojection, rounding), not findings.
DEFAULT_TOLERANCE_M2 = 1.0


@dataclass(frozen=True)
class TopologyIssue:
    """One finding: kind is invalid, overlap, gap, outside or no_boundary."""

    kind: str
    community_code: str
    grid_codes: tuple[str, ...]
    area_m2: float
    geometry: dict[str, Any] | None
    detail: str = ""

    def describe(self) -> str:
        grids = "、".join(self.grid_codes)
        texts = {
            "invalid": _("网格 %(grids)s 几何无效：%(detail)s"),
            "overlap": _("网格 %(grids)s 互相重叠 %(area).1f 平方米"),
            "gap": _("社区 %(community)s 内有 %(area).1f 平方米不属于任何网格"),
            "outside": _("网格 %(grids)s 有 %(area).1f 平方米在社区 %(community)s 之外"),
            "no_boundary": _("社区 %(community)s 没有边界，无法检查缝隙和越界"),
        }
        return texts[self.kind] % {
            "grids": grids,
            "area": self.area_m2,
            "community": self.community_code,
            "detail": self.detail,
        }


@dataclass
class TopologyReport:
    communities: int = 0
    grids: int = 0
    issues: list[TopologyIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues

    def as_geojson(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": issue.geometry,
                    "properties": {
                        "kind": issue.kind,
                        "community_code": issue.community_code,
                        "grid_codes": list(issue.grid_codes),
                        "area_m2": round(issue.area_m2, 2),
                        "description": issue.describe(),
                    },
                }
                for issue in self.issues
            ],
        }


# Geodesic area, skipping slivers too thin to matter: PostGIS's spheroidal area can fail on
# near-degenerate polygons left by overlays ("returned area < 0.0").
AREA = "(CASE WHEN ST_Area(shape) > %(tiny)s THEN ST_Area(shape::geography) ELSE 0 END)"
CURRENT = "g.valid_from <= %(day)s AND (g.valid_to IS NULL OR g.valid_to > %(day)s)"

SQL_INVALID = f"""
SELECT 'invalid', cm.code, ARRAY[g.code], 0.0, NULL, ST_IsValidReason(g.boundary)
  FROM grids_grid g JOIN grids_area cm ON cm.id = g.community_id
 WHERE {CURRENT} AND cm.code LIKE %(prefix)s AND NOT ST_IsValid(g.boundary)
"""
# Interiors meeting in two dimensions ('2********'), not grids that merely share an edge.
SQL_OVERLAP = f"""
WITH pairs AS (
    SELECT cm.code AS community, a.code AS a_code, b.code AS b_code,
           ST_CollectionExtract(ST_Intersection(a.boundary, b.boundary), 3) AS shape
      FROM grids_grid a
      JOIN grids_grid b ON a.community_id = b.community_id AND a.id < b.id
                       AND a.boundary && b.boundary
      JOIN grids_area cm ON cm.id = a.community_id
     WHERE {CURRENT.replace("g.", "a.")} AND {CURRENT.replace("g.", "b.")}
       AND cm.code LIKE %(prefix)s
       AND ST_IsValid(a.boundary) AND ST_IsValid(b.boundary)
       AND ST_Relate(a.boundary, b.boundary, '2********'))
SELECT 'overlap', community, ARRAY[least(a_code, b_code), greatest(a_code, b_code)],
       {AREA}, ST_AsGeoJSON(shape, 7), ''
  FROM pairs WHERE {AREA} > %(tolerance)s
"""
SQL_GAP = f"""
WITH cover AS (
    SELECT cm.id, cm.code, cm.boundary,
           ST_Union(g.boundary) FILTER (WHERE g.id IS NOT NULL AND ST_IsValid(g.boundary)) AS grids
      FROM grids_area cm
      LEFT JOIN grids_grid g ON g.community_id = cm.id AND {CURRENT}
     WHERE cm.level = 'community' AND cm.code LIKE %(prefix)s AND cm.boundary IS NOT NULL
     GROUP BY cm.id),
holes AS (
    SELECT code, (ST_Dump(ST_CollectionExtract(
               CASE WHEN grids IS NULL THEN boundary ELSE ST_Difference(boundary, grids) END,
               3))).geom AS shape
      FROM cover)
SELECT 'gap', code, ARRAY[]::text[], {AREA}, ST_AsGeoJSON(shape, 7), ''
  FROM holes WHERE {AREA} > %(tolerance)s
"""
SQL_OUTSIDE = f"""
WITH spill AS (
    SELECT cm.code AS community, g.code,
           ST_CollectionExtract(ST_Difference(g.boundary, cm.boundary), 3) AS shape
      FROM grids_grid g JOIN grids_area cm ON cm.id = g.community_id
     WHERE {CURRENT} AND cm.code LIKE %(prefix)s AND cm.boundary IS NOT NULL
       AND ST_IsValid(g.boundary) AND NOT ST_CoveredBy(g.boundary, cm.boundary))
SELECT 'outside', community, ARRAY[code], {AREA}, ST_AsGeoJSON(shape, 7), ''
  FROM spill WHERE {AREA} > %(tolerance)s
"""
SQL_NO_BOUNDARY = """
SELECT 'no_boundary', cm.code, ARRAY[]::text[], 0.0, NULL, ''
  FROM grids_area cm
 WHERE cm.level = 'community' AND cm.code LIKE %(prefix)s AND cm.boundary IS NULL
   AND EXISTS (SELECT 1 FROM grids_grid g WHERE g.community_id = cm.id)
"""


def grids_topology_check(
    *, within: str = "", on: date | None = None, tolerance_m2: float = DEFAULT_TOLERANCE_M2
) -> TopologyReport:
    """Check the grids in force on `on` (today) of every community under the area `within`."""
    params = {
        "day": on or timezone.localdate(),
        "prefix": f"{within}%",
        "tolerance": tolerance_m2,
        # a square degree is over 10^9 m² below 60° latitude: this drops only sub-m² slivers
        "tiny": tolerance_m2 * 1e-11,
    }
    report = TopologyReport()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT count(DISTINCT g.community_id), count(*) FROM grids_grid g
                 WHERE {CURRENT} AND g.code LIKE %(prefix)s""",
            params,
        )
        report.communities, report.grids = cursor.fetchone()
        for sql in (SQL_INVALID, SQL_OVERLAP, SQL_GAP, SQL_OUTSIDE, SQL_NO_BOUNDARY):
            cursor.execute(sql, params)
            for kind, community, grid_codes, area, shape, detail in cursor.fetchall():
                report.issues.append(
                    TopologyIssue(
                        kind=kind,
                        community_code=community,
                        grid_codes=tuple(grid_codes),
                        area_m2=float(area),
                        geometry=json.loads(shape) if shape else None,
                        detail=detail,
                    )
                )
    report.issues.sort(key=lambda i: (i.community_code, i.kind, i.grid_codes))
    return report

"""Exporting grids and components to any format `ogr2ogr` writes. PostgreSQL renders each feature
as GeoJSON (in the target CRS); GeoJSON is written directly, other formats are converted from a
GeoJSON-sequence file by ogr2ogr, which knows every format's rules."""

# SQL here is composed only from module constants (table and column names); every value is a
# bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from gridcity.errors import ValidationFailed
from gridcity.geo import WGS84
from grids.io.fields import LEGACY_EXPORT_NAMES
from grids.models import Component

DRIVERS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".geojsonl": "GeoJSONSeq",
    ".geojsons": "GeoJSONSeq",
    ".shp": "ESRI Shapefile",
    ".gpkg": "GPKG",
    ".csv": "CSV",
    ".kml": "KML",
    ".fgb": "FlatGeobuf",
    ".gml": "GML",
}
# Shapefile holds one geometry family per file; mixed layers are split into suffixed files.
FAMILIES = {
    "point": ("POINT", "MULTIPOINT"),
    "line": ("LINESTRING", "MULTILINESTRING"),
    "polygon": ("POLYGON", "MULTIPOLYGON"),
}
FETCH = 5000


@dataclass
class ExportResult:
    files: list[Path]
    count: int


def driver_for(path: Path, driver: str | None) -> str:
    if driver:
        return driver
    found = DRIVERS.get(path.suffix.lower())
    if found is None:
        raise ValidationFailed(
            _("无法从扩展名 %(ext)s 判断格式，请用 --format 指定 GDAL 驱动名（如 GPKG）。")
            % {"ext": path.suffix or "（无）"},
            code="unknown_format",
        )
    return found


def _choice_sql(column: str, choices: Iterable[tuple[str, Any]]) -> str:
    cases = " ".join(f"WHEN '{value}' THEN '{label}'" for value, label in choices)
    return f"(CASE {column} {cases} ELSE {column} END)"


def _feature_sql(
    properties: dict[str, str], *, geometry: str, source: str, where: str, order: str
) -> str:
    pairs = ", ".join(f"'{key}', {expr}" for key, expr in properties.items())
    return f"""
        SELECT json_build_object(
                 'type', 'Feature',
                 'geometry', ST_AsGeoJSON(ST_Transform({geometry}, %(srid)s), %(digits)s)::json,
                 'properties', json_build_object({pairs}))::text
          FROM {source}
         WHERE {where}
         ORDER BY {order}
    """


def grids_export(
    *,
    path: Path,
    driver: str | None = None,
    srid: int = WGS84,
    within: str = "",
    on: date | None = None,
    include_retired: bool = False,
) -> ExportResult:
    """Grids (in force on `on`, or every version) of an area, with code, community, street,
    grade, area in m² and validity dates."""
    properties = {
        "code": "g.code",
        "community_code": "cm.code",
        "community_name": "cm.name",
        "street_code": "coalesce(st.code, '')",
        "street_name": "coalesce(st.name, '')",
        "grade": "g.grade",
        "area_m2": "round(g.area_m2::numeric, 2)",
        "valid_from": "g.valid_from",
        "valid_to": "g.valid_to",
    }
    where = "g.code LIKE %(prefix)s"
    if not include_retired:
        where += " AND g.valid_from <= %(day)s AND (g.valid_to IS NULL OR g.valid_to > %(day)s)"
    sql = _feature_sql(
        properties,
        geometry="g.boundary",
        source="grids_grid g JOIN grids_area cm ON cm.id = g.community_id"
        " LEFT JOIN grids_area st ON st.id = cm.parent_id",
        where=where,
        order="g.code, g.valid_from",
    )
    params = {"prefix": f"{within}%", "day": on or timezone.localdate()}
    return _export(sql, params, path=path, driver=driver, srid=srid, layer="grids", family=None)


def components_export(
    *,
    path: Path,
    driver: str | None = None,
    srid: int = WGS84,
    within: str = "",
    category_code: str = "",
    legacy_names: bool = False,
) -> ExportResult:
    """Components of an area (by grid-code prefix) and optionally one category, with the
    standard's attributes under the project's names or the legacy exchange names."""
    columns = {
        "identifier": "c.identifier",
        "category": "k.code",
        "category_name": "k.name",
        "name": "c.name",
        "supervising_unit_code": "c.supervising_unit_code",
        "supervising_unit_name": "c.supervising_unit_name",
        "owner_unit_code": "c.owner_unit_code",
        "owner_unit_name": "c.owner_unit_name",
        "maintenance_unit_code": "c.maintenance_unit_code",
        "maintenance_unit_name": "c.maintenance_unit_name",
        "grid_code": "c.grid_code",
        "status": "c.status",
        "survey_date": "c.survey_date",
        "change_date": "c.change_date",
        "data_source": "c.data_source",
        "remarks": "c.remarks",
        "street_code": "c.street_code",
        "street_name": "c.street_name",
        "community_code": "c.community_code",
        "community_name": "c.community_name",
    }
    if legacy_names:
        columns["status"] = _choice_sql("c.status", Component.Status.choices)
        columns["data_source"] = _choice_sql("c.data_source", Component.DataSource.choices)
        columns = {
            LEGACY_EXPORT_NAMES[k]: v for k, v in columns.items() if k in LEGACY_EXPORT_NAMES
        }
    where = "(%(prefix)s = '' OR c.grid_code LIKE %(prefix)s || '%%')"
    if category_code:
        where += " AND k.code = %(category)s"
    sql = _feature_sql(
        columns,
        geometry="c.geometry",
        source="grids_component c JOIN grids_category k ON k.id = c.category_id",
        where=where + " {family}",
        order="c.identifier",
    )
    params = {"prefix": within, "category": category_code}
    return _export(
        sql, params, path=path, driver=driver, srid=srid, layer="components", family="c.geometry"
    )


def _export(
    sql: str,
    params: dict[str, Any],
    *,
    path: Path,
    driver: str | None,
    srid: int,
    layer: str,
    family: str | None,
) -> ExportResult:
    driver = driver_for(path, driver)
    params = {**params, "srid": srid, "digits": 7 if srid in (WGS84, 4490) else 3}
    path.parent.mkdir(parents=True, exist_ok=True)
    if family is None or driver != "ESRI Shapefile":
        query = sql.replace("{family}", "")
        if driver == "GeoJSON" and srid == WGS84:
            return ExportResult(files=[path], count=_write_collection(query, params, path))
        return ExportResult(
            files=[path],
            count=_convert(query, params, path=path, driver=driver, srid=srid, layer=layer),
        )
    files, total = [], 0
    for name, types in FAMILIES.items():
        query = sql.replace("{family}", f"AND GeometryType({family}) IN {types}")
        target = path.with_name(f"{path.stem}_{name}{path.suffix}")
        count = _convert(query, params, path=target, driver=driver, srid=srid, layer=layer)
        if count:
            files.append(target)
            total += count
        else:
            for sibling in path.parent.glob(f"{target.stem}.*"):
                sibling.unlink()
    return ExportResult(files=files, count=total)


def _rows(query: str, params: dict[str, Any]) -> Iterable[str]:
    with connection.chunked_cursor() as cursor:
        cursor.execute(query, params)
        while batch := cursor.fetchmany(FETCH):
            for (feature,) in batch:
                yield feature


def _write_collection(query: str, params: dict[str, Any], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "features": [\n')
        for feature in _rows(query, params):
            out.write((",\n" if count else "") + feature)
            count += 1
        out.write("\n]}\n")
    return count


def _convert(
    query: str, params: dict[str, Any], *, path: Path, driver: str, srid: int, layer: str
) -> int:
    if shutil.which("ogr2ogr") is None:
        raise ValidationFailed(
            _("未安装 GDAL 命令行工具 ogr2ogr（gdal-bin）。"), code="gdal_missing"
        )
    with tempfile.TemporaryDirectory(prefix="gridcity-export-") as tmp:
        sequence = Path(tmp) / f"{layer}.geojsonl"
        count = 0
        with sequence.open("w", encoding="utf-8") as out:
            for feature in _rows(query, params):
                out.write(feature + "\n")
                count += 1
        if count == 0:
            return 0
        if path.exists():
            path.unlink()
        command = [
            "ogr2ogr", "-f", driver, str(path), str(sequence),
            "-a_srs", f"EPSG:{srid}", "-nln", path.stem if driver == "ESRI Shapefile" else layer,
        ]  # fmt: skip
        if driver == "ESRI Shapefile":
            command += ["-lco", "ENCODING=UTF-8"]
        elif driver == "CSV":
            command += ["-lco", "GEOMETRY=AS_WKT"]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if completed.returncode != 0:
            raise ValidationFailed(
                _("ogr2ogr 写出 %(path)s 失败：%(error)s")
                % {"path": path.name, "error": completed.stderr.strip()[-2000:]},
                code="export_failed",
            )
    return count

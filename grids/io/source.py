"""Reading any vector format GDAL reads. GeoDjango's GDAL binding inspects the source (layers,
fields, CRS, feature count); the features themselves stream out of `ogr2ogr` as CSV with WKT,
already transformed to WGS84, so a million features read in seconds and PROJ does the maths."""

from __future__ import annotations

import codecs
import csv
import io
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.gis.gdal import DataSource, GDALException, SpatialReference
from django.utils.translation import gettext as _

from gridcity.errors import ValidationFailed
from gridcity.geo import WGS84

# Column names GDAL's CSV driver should take as coordinates, the usual ones first.
X_NAMES = ("X", "x", "lon", "LON", "lng", "longitude", "Longitude", "经度", "POINT_X", "XCOORD")
Y_NAMES = ("Y", "y", "lat", "LAT", "latitude", "Latitude", "纬度", "POINT_Y", "YCOORD")
CSV_EXTENSIONS = (".csv", ".txt")
# Geodetic CRSs whose "degrees" GDAL would otherwise accept from a file of projected metres.
SOURCE_SRIDS_HINT = "4490, 4527–4554, 4326, 3857"

csv.field_size_limit(sys.maxsize)  # polygons with many vertices make long WKT cells


@dataclass
class SourceInfo:
    """What GDAL says about the layer to import."""

    path: Path
    driver: str
    layer: str
    feature_count: int
    fields: list[str]
    srs_name: str
    srid: int | None


@dataclass
class FeatureSource:
    """An opened source: call `rows()` to stream (index, attributes, wkt) in file order.

    The index is the 1-based position of the feature in its layer, the number an error names.
    """

    info: SourceInfo
    source_srs: str | None = None
    open_options: list[str] = field(default_factory=list)
    _tempdir: tempfile.TemporaryDirectory | None = None

    def rows(self) -> Iterator[tuple[int, dict[str, str], str]]:
        command = [
            "ogr2ogr",
            "-f",
            "CSV",
            "/vsistdout/",
            str(self.info.path),
            self.info.layer,
            "-t_srs",
            f"EPSG:{WGS84}",
            "-dim",
            "XY",
            "-lco",
            "GEOMETRY=AS_WKT",
            "-lco",
            "LINEFORMAT=LF",
            "-lco",
            "STRING_QUOTING=IF_NEEDED",
        ]
        if self.source_srs:
            command += ["-s_srs", self.source_srs]
        for option in self.open_options:
            command += ["-oo", option]
        # stderr goes to a file: a pipe that nobody drains while stdout streams could fill up
        # with per-feature warnings and stall ogr2ogr.
        errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally below
        process = subprocess.Popen(  # noqa: S603 - fixed program, arguments are not a shell line
            command, stdout=subprocess.PIPE, stderr=errors
        )
        if process.stdout is None:  # pragma: no cover - Popen always gives a pipe here
            raise RuntimeError("ogr2ogr has no stdout")
        reader = csv.reader(io.TextIOWrapper(process.stdout, encoding="utf-8", newline=""))
        try:
            header = next(reader, None)
            if header is not None:
                if header[0] != "WKT":
                    raise ValidationFailed(
                        _("图层 %(layer)s 没有几何；CSV 需要 X/Y（经度/纬度）或 WKT 列。")
                        % {"layer": self.info.layer},
                        code="no_geometry",
                    )
                names = header[1:]
                for index, record in enumerate(reader, start=1):
                    yield index, dict(zip(names, record[1:], strict=False)), record[0]
        finally:
            process.stdout.close()
            code = process.wait()
            errors.seek(0)
            stderr = errors.read().decode("utf-8", "replace")
            errors.close()
            if self._tempdir is not None:
                self._tempdir.cleanup()
        if code != 0:
            raise ValidationFailed(
                _("GDAL 读取 %(path)s 失败：%(error)s")
                % {"path": self.info.path.name, "error": stderr.strip()[-2000:]},
                code="unreadable_source",
            )


def _srid_of(srs: SpatialReference | None) -> int | None:
    if srs is None:
        return None
    if srs.srid:
        return int(srs.srid)
    try:
        srs.identify_epsg()
    except GDALException:
        return None
    return int(srs.srid) if srs.srid else None


def _utf8_copy(path: Path, encoding: str) -> tuple[Path, tempfile.TemporaryDirectory]:
    """GDAL reads CSV as UTF-8 only; a GBK file from a Windows desktop is converted first."""
    tempdir = tempfile.TemporaryDirectory(prefix="gridcity-import-")
    target = Path(tempdir.name) / path.name
    with path.open("rb") as src, target.open("wb") as dst:
        decoder = codecs.getincrementaldecoder(encoding)()
        while chunk := src.read(1 << 20):
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    return target, tempdir


def source_open(
    path: str | Path,
    *,
    layer: str | None = None,
    srid: int | None = None,
    encoding: str | None = None,
) -> FeatureSource:
    """Open a vector file, check its CRS, and prepare to stream it in WGS84.

    `srid` assigns the CRS of a file that declares none (a CSV of coordinates, a Shapefile
    without .prj); it is refused when the file declares a different one, since transforming
    twice is the classic silent error. `encoding` is the attribute encoding of a Shapefile or
    CSV that is not UTF-8 (often GBK).
    """
    if shutil.which("ogr2ogr") is None:
        raise ValidationFailed(
            _("未安装 GDAL 命令行工具 ogr2ogr（gdal-bin）。"), code="gdal_missing"
        )
    path = Path(path)
    if not path.exists():
        raise ValidationFailed(_("文件 %(path)s 不存在。") % {"path": path}, code="no_such_file")
    is_csv = path.suffix.lower() in CSV_EXTENSIONS
    tempdir = None
    open_options: list[str] = []
    if is_csv:
        if encoding and codecs.lookup(encoding).name != "utf-8":
            path, tempdir = _utf8_copy(path, encoding)
        open_options = [
            "X_POSSIBLE_NAMES=" + ",".join(X_NAMES),
            "Y_POSSIBLE_NAMES=" + ",".join(Y_NAMES),
            "GEOM_POSSIBLE_NAMES=WKT,wkt,geometry,GEOMETRY,geom",
            "KEEP_GEOM_COLUMNS=NO",
            "EMPTY_STRING_AS_NULL=NO",
        ]
    elif encoding:
        open_options = [f"ENCODING={encoding}"]
    try:
        datasource = DataSource(str(path))
    except GDALException as exc:
        raise ValidationFailed(
            _("GDAL 无法打开 %(path)s：%(error)s") % {"path": path.name, "error": exc},
            code="unreadable_source",
        ) from exc
    names = [lyr.name for lyr in datasource]
    if not names:
        raise ValidationFailed(_("%(path)s 中没有图层。") % {"path": path.name}, code="no_layer")
    if layer is None:
        if len(names) > 1:
            raise ValidationFailed(
                _("%(path)s 有多个图层（%(names)s），请用 --layer 指定。")
                % {"path": path.name, "names": "、".join(names)},
                code="layer_required",
            )
        layer = names[0]
    elif layer not in names:
        raise ValidationFailed(
            _("%(path)s 中没有图层“%(layer)s”（有：%(names)s）。")
            % {"path": path.name, "layer": layer, "names": "、".join(names)},
            code="no_layer",
        )
    ogr_layer = datasource[layer]
    declared = ogr_layer.srs
    declared_srid = _srid_of(declared)
    source_srs = None
    if srid is not None:
        try:
            SpatialReference(srid)
        except GDALException as exc:
            raise ValidationFailed(
                _("EPSG:%(srid)s 不是已知的坐标系。") % {"srid": srid}, code="unknown_srid"
            ) from exc
        if declared is not None and declared_srid != srid:
            raise ValidationFailed(
                _(
                    "文件声明的坐标系是 %(name)s，与 --srid %(srid)s 不一致；"
                    "只有文件未声明坐标系时才用 --srid。"
                )
                % {"name": declared.name, "srid": srid},
                code="srid_conflict",
            )
        source_srs = f"EPSG:{srid}"
    elif declared is None:
        raise ValidationFailed(
            _("%(path)s 未声明坐标系，请用 --srid 指定（常用：%(hint)s）。")
            % {"path": path.name, "hint": SOURCE_SRIDS_HINT},
            code="srid_required",
        )
    fields = list(ogr_layer.fields)
    if is_csv:
        coordinate_columns = set(X_NAMES) | set(Y_NAMES) | {"WKT", "wkt", "geometry", "GEOMETRY"}
        fields = [name for name in fields if name not in coordinate_columns]
    info = SourceInfo(
        path=path,
        driver=datasource.driver.name,
        layer=layer,
        feature_count=max(ogr_layer.num_feat, 0),
        fields=fields,
        srs_name=declared.name if declared is not None else f"EPSG:{srid}",
        srid=declared_srid if declared is not None else srid,
    )
    return FeatureSource(
        info=info, source_srs=source_srs, open_options=open_options, _tempdir=tempdir
    )


class MemorySource(FeatureSource):
    """Features made in code (the demo, tests) fed to the same loaders as a file: each row is
    (attributes, WKT in WGS84)."""

    def __init__(self, rows: list[tuple[dict[str, str], str]], *, fields: list[str]) -> None:
        super().__init__(
            info=SourceInfo(
                path=Path("<memory>"),
                driver="memory",
                layer="memory",
                feature_count=len(rows),
                fields=fields,
                srs_name="WGS 84",
                srid=WGS84,
            )
        )
        self._records = rows

    def rows(self) -> Iterator[tuple[int, dict[str, str], str]]:
        for index, (attrs, wkt) in enumerate(self._records, start=1):
            yield index, attrs, wkt

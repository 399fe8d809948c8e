"""The demo city: Qingdao 市南区 (370202) with streets, communities, ~10,000 m² grids and a
realistic component inventory. Deterministic, idempotent, and built in bulk so scale 1 (about
2,000 grids and 100,000 components) takes seconds. Street names are real; codes, communities,
boundaries and units are illustrative."""

from __future__ import annotations

import math
import random
from datetime import date
from typing import TextIO

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridcity.errors import ValidationFailed
from gridcity.geo import WGS84
from grids.generator import metres_per_degree
from grids.io.source import MemorySource
from grids.models import Area, Category
from grids.services import area_create, category_directory_load, grids_generate
from grids.services.imports import components_import

SEED = 20260701
DISTRICT_CODE = "370202"
DISTRICT_NAME = "市南区"
CENTRE = (120.38, 36.06)
STREET_NAMES = (
    "八大关街道", "香港中路街道", "八大湖街道", "湛山街道", "江苏路街道", "金门路街道",
    "中山路街道", "云南路街道", "珠海路街道", "金湖路街道",
)  # fmt: skip
PER_SCALE = {"streets": 6, "communities": 40, "grids": 2000, "components": 100_000}
# Square metres of district per grid: cells are 10,000 m², but the clipped cells along community
# boundaries that keep 30–100 % of a cell stay grids of their own, so a grid averages less.
M2_PER_GRID = 9_250.0

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code(*, kind: str, serial: int) -> str:
    """An illustrative unified social credit code (GB 32100) for a unit of 市南区, with both
    check characters right: the organisation code's (GB 11714) and the whole code's.

    `kind` is the registration authority + unit type: "11" an organ, "12" a public institution,
    "91" a company.
    """
    body = f"{serial:08d}"
    org_sum = sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    org_check = 11 - org_sum % 11
    org = body + {10: "X", 11: "0"}.get(org_check, str(org_check))
    head = f"{kind}{DISTRICT_CODE}{org}"
    total = sum(USCC_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(head))
    return head + USCC_CHARS[(31 - total % 31) % 31]


# Illustrative units: key → (unified social credit code, name). Other apps' demos may reuse
# them (e.g. as departments) so that components name units that exist.
DEMO_UNITS: dict[str, tuple[str, str]] = {
    key: (credit_code(kind=kind, serial=20260000 + number), name)
    for number, (key, kind, name) in enumerate(
        (
            ("city", "11", "市南区城市管理局"),
            ("water", "11", "市南区水务局"),
            ("construction", "11", "市南区住房和城乡建设局"),
            ("traffic", "11", "市南区交通运输管理部门"),
            ("greening", "12", "市南区园林绿化服务中心"),
            ("sanitation", "12", "市南区环境卫生服务中心"),
            ("municipal", "12", "市南区市政工程维护中心"),
            ("power", "91", "示例供电公司市南分公司"),
            ("telecom", "91", "示例通信公司市南分公司"),
            ("gas", "91", "示例燃气公司市南分公司"),
            ("heat", "91", "示例热力公司市南分公司"),
        ),
        start=1,
    )
}

# (category code, share of the inventory, geometry, supervising, owner, maintenance unit)
MIX: tuple[tuple[str, float, str, str, str, str], ...] = (
    ("01001", 6.0, "point", "water", "water", "municipal"),
    ("01002", 8.0, "point", "water", "water", "municipal"),
    ("01003", 7.0, "point", "water", "water", "municipal"),
    ("01004", 6.0, "point", "water", "water", "municipal"),
    ("01005", 4.0, "point", "city", "power", "power"),
    ("01006", 2.0, "point", "city", "municipal", "municipal"),
    ("01007", 6.0, "point", "city", "telecom", "telecom"),
    ("01010", 2.0, "point", "city", "heat", "heat"),
    ("01011", 3.0, "point", "city", "gas", "gas"),
    ("01023", 1.0, "point", "city", "city", "municipal"),
    ("01013", 1.5, "point", "city", "water", "water"),
    ("01030", 2.0, "point", "city", "power", "power"),
    ("01031", 2.0, "point", "city", "telecom", "telecom"),
    ("01037", 8.0, "point", "city", "municipal", "municipal"),
    ("01048", 0.5, "point", "city", "power", "power"),
    ("01050", 1.0, "point", "traffic", "traffic", "traffic"),
    ("02001", 0.2, "polygon", "traffic", "traffic", "traffic"),
    ("02004", 0.5, "point", "traffic", "traffic", "traffic"),
    ("02010", 2.0, "point", "traffic", "traffic", "traffic"),
    ("02012", 0.7, "point", "city", "city", "municipal"),
    ("02014", 0.5, "point", "traffic", "traffic", "traffic"),
    ("02017", 1.0, "line", "traffic", "traffic", "municipal"),
    ("02021", 2.5, "point", "city", "municipal", "municipal"),
    ("02027", 0.5, "point", "city", "city", "municipal"),
    ("02038", 3.0, "point", "city", "city", "city"),
    ("03001", 0.3, "point", "sanitation", "sanitation", "sanitation"),
    ("03005", 4.0, "point", "sanitation", "sanitation", "sanitation"),
    ("03006", 1.0, "point", "city", "city", "city"),
    ("03007", 2.0, "point", "city", "city", "city"),
    ("04002", 15.0, "point", "greening", "greening", "greening"),
    ("04003", 2.0, "point", "greening", "greening", "greening"),
    ("04007", 1.0, "point", "greening", "greening", "greening"),
    ("04008", 0.5, "line", "greening", "greening", "greening"),
    ("04011", 1.5, "point", "greening", "greening", "greening"),
    ("04013", 0.8, "polygon", "greening", "greening", "greening"),
)
STATUS_MIX = (("完好", 95.0), ("破损", 3.0), ("丢失", 0.5), ("废弃", 1.0), ("移除", 0.5))
DATA_SOURCES = (("实测", 80.0), ("地形图", 12.0), ("基础地理数据", 8.0))
NUMERALS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1–99 in Chinese numerals: 1 一, 10 十, 12 十二, 20 二十, 45 四十五."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return NUMERALS[ones]
    head = "" if tens == 1 else NUMERALS[tens]
    return f"{head}十{NUMERALS[ones] if ones else ''}"


def plan(scale: float) -> dict[str, int]:
    """How many streets, communities, grids and components a scale asks for."""
    streets = min(99, max(1, round(PER_SCALE["streets"] * scale)))
    communities = max(streets, round(PER_SCALE["communities"] * scale))
    return {
        "streets": streets,
        "communities": communities,
        "grids": max(communities, round(PER_SCALE["grids"] * scale)),
        "components": max(10, round(PER_SCALE["components"] * scale)),
    }


def seed(*, scale: float, stdout: TextIO) -> str:
    """Build the demo district at `scale`; skip if it is already there at that scale."""
    counts = plan(scale)
    district = Area.objects.filter(code=DISTRICT_CODE).first()
    if district is not None:
        existing = Area.objects.communities().within_code(DISTRICT_CODE).count()
        if existing != counts["communities"]:
            raise ValidationFailed(
                _("演示区县 %(code)s 已按另一规模建立（%(n)s 个社区）；请在空数据库上重建。")
                % {"code": DISTRICT_CODE, "n": existing},
                code="demo_scale_mismatch",
            )
        return _("已存在，跳过（%(n)s 个社区）") % {"n": existing}
    if Category.objects.count() == 0:
        category_directory_load()
    rng = random.Random(SEED)  # noqa: S311 - a reproducible demo, not a secret
    # Surveyed at the start of the year, so the demo's cases can have some history behind them.
    surveyed = date(timezone.localdate().year, 1, 1)
    with transaction.atomic():
        outline = _district_outline(counts["grids"] * M2_PER_GRID, rng)
        district = area_create(code=DISTRICT_CODE, name=DISTRICT_NAME, boundary=_geos(outline))
        stdout.write(f"  {DISTRICT_CODE} {DISTRICT_NAME}\n")
        grids = 0
        streets = _split(outline, counts["streets"], rng)
        shares = _allocate(counts["communities"], [s.area for s in streets])
        for number, (street_shape, n_communities) in enumerate(
            zip(streets, shares, strict=True), 1
        ):
            name = STREET_NAMES[number - 1] if number <= len(STREET_NAMES) else f"第{number}街道"
            street = area_create(
                code=f"{DISTRICT_CODE}{number:03d}", name=name, boundary=_geos(street_shape)
            )
            stem = name.removesuffix("街道")
            for index, shape in enumerate(_split(street_shape, n_communities, rng), 1):
                community = area_create(
                    code=f"{street.code}{index:03d}",
                    name=f"{stem}第{chinese_number(index)}社区"
                    if index < 100
                    else f"{stem}{index}社区",
                    boundary=_geos(shape),
                )
                grids += len(grids_generate(community=community, valid_from=surveyed))
        stdout.write(f"  {counts['streets']} 街道，{counts['communities']} 社区，{grids} 网格\n")
        result = components_import(source=_components(outline, counts["components"]))
    return (
        f"{district.name}：{counts['streets']} 个街道，{counts['communities']} 个社区，"
        f"{grids} 个网格，{result.created} 个部件"
    )


def _geos(shape: shapely.Geometry) -> GEOSGeometry:
    geometry = GEOSGeometry(memoryview(shapely.to_wkb(shape)), srid=WGS84)
    return geometry if geometry.geom_type == "MultiPolygon" else MultiPolygon(geometry, srid=WGS84)


def _district_outline(area_m2: float, rng: random.Random) -> shapely.Geometry:
    """A 1.6:1 block centred on 市南区 whose south edge wanders like a coast."""
    per_lon, per_lat = metres_per_degree(CENTRE[1])
    width = math.sqrt(area_m2 * 1.6)
    height = area_m2 / width
    west, east = CENTRE[0] - width / 2 / per_lon, CENTRE[0] + width / 2 / per_lon
    north, south = CENTRE[1] + height / 2 / per_lat, CENTRE[1] - height / 2 / per_lat
    amplitude = height * 0.06 / per_lat
    phase = rng.uniform(0, math.tau)
    coast = [
        (east - (east - west) * i / 48, south + amplitude * math.sin(phase + i / 48 * 3 * math.pi))
        for i in range(49)
    ]
    return shapely.Polygon([(west, north), (east, north), *coast[:-1], (west, coast[-1][1])])


def _split(shape: shapely.Geometry, parts: int, rng: random.Random) -> list[shapely.Geometry]:
    """Split a polygon into `parts` compact pieces (relaxed Voronoi cells), ordered north-west
    first so codes run the way people read a map."""
    if parts <= 1:
        return [shape]
    minx, miny, maxx, maxy = shape.bounds
    seeds: list[tuple[float, float]] = []
    while len(seeds) < parts:
        point = (rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if shape.contains(shapely.Point(point)):
            seeds.append(point)
    for _round in range(4):  # Lloyd relaxation evens the sizes out
        cells = _cells(shape, seeds)
        seeds = [(c.centroid.x, c.centroid.y) for c in cells]
    cells = _cells(shape, seeds)
    return sorted(cells, key=lambda c: (-round(c.centroid.y, 2), c.centroid.x))


def _cells(shape: shapely.Geometry, seeds: list[tuple[float, float]]) -> list[shapely.Geometry]:
    diagram = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=shape)
    cells = [shapely.intersection(cell, shape) for cell in diagram.geoms]
    return [shapely.make_valid(cell) for cell in cells if not cell.is_empty and cell.area > 0]


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Largest-remainder allocation of `total` over weights, at least one each."""
    raw = [total * w / sum(weights) for w in weights]
    shares = [max(1, int(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    for i in order[: max(0, total - sum(shares))]:
        shares[i] += 1
    return shares


def _components(outline: shapely.Geometry, count: int) -> MemorySource:
    """`count` components scattered over the district, with the mix, statuses and units above."""
    rng = np.random.default_rng(SEED)
    minx, miny, maxx, maxy = outline.bounds
    shapely.prepare(outline)
    xs = np.empty(0)
    ys = np.empty(0)
    while len(xs) < count:
        x = rng.uniform(minx, maxx, count)
        y = rng.uniform(miny, maxy, count)
        inside = shapely.contains_xy(outline, x, y)
        xs, ys = np.concatenate([xs, x[inside]]), np.concatenate([ys, y[inside]])
    xs, ys = xs[:count], ys[:count]
    weights = np.array([m[1] for m in MIX])
    kinds = rng.choice(len(MIX), size=count, p=weights / weights.sum())
    statuses = rng.choice(len(STATUS_MIX), size=count, p=_p(STATUS_MIX))
    sources = rng.choice(len(DATA_SOURCES), size=count, p=_p(DATA_SOURCES))
    survey_days = rng.integers(0, 3650, size=count)
    sizes = rng.uniform(0.5, 1.5, size=count)
    angles = rng.uniform(0, math.pi, size=count)
    # Fences and green spaces must lie inside the district: their anchors keep 100 m clear.
    inner = outline.buffer(-100 / metres_per_degree(CENTRE[1])[1])
    shapely.prepare(inner)
    for i in np.flatnonzero([MIX[k][2] != "point" for k in kinds]):
        while not shapely.contains_xy(inner, xs[i], ys[i]):
            xs[i], ys[i] = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
    names = dict(Category.objects.components().values_list("code", "name"))
    per_lon, per_lat = metres_per_degree(CENTRE[1])
    base = np.datetime64("2015-01-01")
    rows = []
    for i in range(count):
        code, _share, shape, supervising, owner, maintenance = MIX[kinds[i]]
        status = STATUS_MIX[statuses[i]][0]
        survey = base + np.timedelta64(int(survey_days[i]), "D")
        attrs = {
            "category": code,
            "name": names[code],
            "supervising_unit_code": DEMO_UNITS[supervising][0],
            "supervising_unit_name": DEMO_UNITS[supervising][1],
            "owner_unit_code": DEMO_UNITS[owner][0],
            "owner_unit_name": DEMO_UNITS[owner][1],
            "maintenance_unit_code": DEMO_UNITS[maintenance][0],
            "maintenance_unit_name": DEMO_UNITS[maintenance][1],
            "status": status,
            "survey_date": str(survey),
            "change_date": str(survey + np.timedelta64(365, "D")) if status != "完好" else "",
            "data_source": DATA_SOURCES[sources[i]][0],
        }
        rows.append((attrs, _shape_wkt(shape, xs[i], ys[i], sizes[i], angles[i], per_lon, per_lat)))
    return MemorySource(rows, fields=list(rows[0][0]) if rows else [])


def _p(options: tuple[tuple[str, float], ...]) -> np.ndarray:
    weights = np.array([w for _label, w in options])
    return weights / weights.sum()


def _shape_wkt(
    shape: str, x: float, y: float, size: float, angle: float, per_lon: float, per_lat: float
) -> str:
    if shape == "point":
        return f"POINT ({x:.7f} {y:.7f})"
    dx, dy = math.cos(angle), math.sin(angle)
    if shape == "line":  # a fence or railing 20–60 m long
        half = 20 * size
        return (
            f"LINESTRING ({x - dx * half / per_lon:.7f} {y - dy * half / per_lat:.7f}, "
            f"{x + dx * half / per_lon:.7f} {y + dy * half / per_lat:.7f})"
        )
    half = 20 * size  # a green space or car park of 400–3,600 m²
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]
    ring = ", ".join(
        f"{x + (cx * dx - cy * dy) * half / per_lon:.7f} "
        f"{y + (cx * dy + cy * dx) * half / per_lat:.7f}"
        for cx, cy in corners
    )
    return f"POLYGON (({ring}))"

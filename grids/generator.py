"""Cutting an area into unit grid cells: square cells clipped to the boundary, slivers merged
into a neighbour, numbered west→east within rows taken north→south.

The lattice is laid in longitude/latitude with steps equal to the cell size in metres at the
area's latitude (radii of curvature of the WGS84 ellipsoid). Over a community, a few km at most,
cells stay within 0.1 % of the target area, and every edge is a straight line in the stored
coordinates, so grids clip exactly to the community boundary: no reprojection noise makes slivers
of overlap or gap for check_grids to find.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

WGS84_A = 6_378_137.0
WGS84_E2 = 6.694379990141317e-3


def metres_per_degree(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and of latitude at a latitude, on the WGS84 ellipsoid."""
    phi = math.radians(lat)
    w = math.sqrt(1 - WGS84_E2 * math.sin(phi) ** 2)
    prime_vertical = WGS84_A / w
    meridional = WGS84_A * (1 - WGS84_E2) / w**3
    return math.radians(1) * prime_vertical * math.cos(phi), math.radians(1) * meridional


@dataclass(eq=False)
class Cell:
    """One generated grid: its row from the north, its column from the west, and its shape."""

    row: int
    col: int
    geometry: BaseGeometry

    @property
    def area(self) -> float:
        return float(self.geometry.area)


def _polygons(geometry: BaseGeometry) -> list[BaseGeometry]:
    """The polygonal parts of an intersection result (lines and points are dropped)."""
    if geometry.is_empty:
        return []
    if geometry.geom_type == "Polygon":
        return [geometry]
    if hasattr(geometry, "geoms"):
        return [part for g in geometry.geoms for part in _polygons(g)]
    return []


def cut_cells(boundary: BaseGeometry, *, cell_m2: float, min_fraction: float = 0.3) -> list[Cell]:
    """Cells of about `cell_m2` clipped to a lon/lat `boundary`, in numbering order.

    The lattice starts at the boundary's north-west corner, so the first row and column are
    whole cells where the boundary is straight. A clipped piece smaller than `min_fraction` of a
    cell is merged into the neighbour it shares the longest edge with; a piece with no such
    neighbour (an islet) stays a grid of its own.
    """
    if cell_m2 <= 0:
        raise ValueError("cell_m2 must be positive")
    boundary = shapely.make_valid(boundary)
    minx, miny, maxx, maxy = boundary.bounds
    per_lon, per_lat = metres_per_degree((miny + maxy) / 2)
    side = math.sqrt(cell_m2)
    step_x, step_y = side / per_lon, side / per_lat
    cols = max(1, math.ceil((maxx - minx) / step_x - 1e-9))
    rows = max(1, math.ceil((maxy - miny) / step_y - 1e-9))
    row_idx, col_idx = np.divmod(np.arange(rows * cols), cols)
    # Each lattice line is computed once, so neighbouring cells share exactly the same
    # coordinates and their common edge dissolves when a sliver is merged.
    x_lines = minx + np.arange(cols + 1) * step_x
    y_lines = maxy - np.arange(rows + 1) * step_y
    boxes = shapely.box(
        x_lines[col_idx], y_lines[row_idx + 1], x_lines[col_idx + 1], y_lines[row_idx]
    )
    shapely.prepare(boundary)
    hits = shapely.intersects(boundary, boxes)
    pieces = shapely.intersection(boundary, boxes[hits])
    full = step_x * step_y
    cells = [
        Cell(row=int(r), col=int(c), geometry=part)
        for r, c, piece in zip(row_idx[hits], col_idx[hits], pieces, strict=True)
        for part in _polygons(piece)
        if part.area > full * 1e-9
    ]
    cells = _merge_slivers(cells, threshold=min_fraction * full)
    cells.sort(key=lambda cell: (cell.row, cell.col, -cell.geometry.centroid.y))
    return cells


def _merge_slivers(cells: list[Cell], *, threshold: float) -> list[Cell]:
    tree = shapely.STRtree([cell.geometry for cell in cells])
    # absorbed piece → the cell that took it in, so neighbours found through the (static) tree
    # lead to the cell that holds the shape now
    owner: dict[int, int] = {}

    def holder(position: int) -> int:
        while position in owner:
            position = owner[position]
        return position

    small = sorted(
        (i for i, c in enumerate(cells) if c.area < threshold), key=lambda i: cells[i].area
    )
    for position in small:
        sliver = cells[position]
        if position in owner or sliver.area >= threshold:
            continue
        best, best_shared = None, 0.0
        candidates = {holder(int(i)) for i in tree.query(sliver.geometry)} - {position}
        for candidate in sorted(candidates):
            other = cells[candidate]
            shared = other.geometry.boundary.intersection(sliver.geometry.boundary).length
            # Among equally long edges, the larger neighbour absorbs the sliver.
            if shared > best_shared * (1 + 1e-9) or (
                best is not None
                and shared >= best_shared * (1 - 1e-9)
                and other.area > cells[best].area
            ):
                best, best_shared = candidate, shared
        if best is None or best_shared <= 0:
            continue
        parts = _polygons(shapely.make_valid(shapely.union(cells[best].geometry, sliver.geometry)))
        if len(parts) != 1:
            continue
        cells[best].geometry = parts[0]
        owner[position] = best
    return [cell for position, cell in enumerate(cells) if position not in owner]

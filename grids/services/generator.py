"""generate_grids: cut a community into ~10,000 m² grids numbered the standard way."""

from __future__ import annotations

from datetime import date

import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridcity.errors import Conflict, ValidationFailed
from gridcity.geo import WGS84
from grids import codes
from grids.generator import cut_cells
from grids.models import Area, Grid
from grids.services.components import components_relocate

DEFAULT_CELL_M2 = 10_000.0


def grids_generate(
    *,
    community: Area,
    cell_m2: float = DEFAULT_CELL_M2,
    valid_from: date | None = None,
    replace: bool = False,
    min_fraction: float = 0.3,
    grade: int = Grid.Grade.SECOND,
) -> list[Grid]:
    """Cut `community` into square cells of about `cell_m2` clipped to its boundary (see
    grids.generator) and create them as grids coded community code + 001, 002, …
    numbered west→east along rows taken north→south. With `replace`, the community's grids in
    force are retired the same day; without it, a community that has grids is refused."""
    if community.level != Area.Level.COMMUNITY:
        raise ValidationFailed(
            _("%(area)s 不是社区/村。") % {"area": community}, code="not_a_community"
        )
    if community.boundary is None or community.boundary.empty:
        raise ValidationFailed(
            _("社区 %(area)s 没有边界，无法划分网格。") % {"area": community},
            code="boundary_missing",
        )
    if not 100 <= cell_m2 <= 1_000_000:
        raise ValidationFailed(
            _("网格面积 %(m2)s 平方米超出 100–1,000,000 的合理范围。") % {"m2": cell_m2},
            code="invalid_cell_size",
        )
    day = valid_from or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationFailed(_("生效日期不能晚于今天。"), code="future_date")

    cells = cut_cells(
        shapely.from_wkb(bytes(community.boundary.wkb)), cell_m2=cell_m2, min_fraction=min_fraction
    )
    if len(cells) > 999:
        raise ValidationFailed(
            _("社区 %(area)s 将划出 %(n)s 个网格，超过 15 位编码的 999 个上限；请增大网格面积。")
            % {"area": community, "n": len(cells)},
            code="grid_sequence_overflow",
        )

    with transaction.atomic():
        in_force = list(
            Grid.objects.select_for_update().filter(community=community, valid_to__isnull=True)
        )
        if in_force and not replace:
            raise Conflict(
                _("社区 %(area)s 已有 %(n)s 个现行网格；如需重新划分请使用替换。")
                % {"area": community, "n": len(in_force)},
                code="grids_exist",
            )
        for old in in_force:
            if day <= old.valid_from:
                raise ValidationFailed(
                    _("网格 %(code)s 于 %(start)s 启用，新划分须晚于该日期。")
                    % {"code": old.code, "start": old.valid_from},
                    code="retire_before_start",
                )
            old.valid_to = day
        Grid.objects.bulk_update(in_force, ["valid_to"])

        grids = []
        for sequence, cell in enumerate(cells, start=1):
            shape = GEOSGeometry(memoryview(shapely.to_wkb(cell.geometry)), srid=WGS84)
            grids.append(
                Grid(
                    code=codes.grid_code_make(community_code=community.code, sequence=sequence),
                    community=community,
                    boundary=MultiPolygon(shape, srid=WGS84),
                    area_m2=0.0,
                    grade=grade,
                    valid_from=day,
                )
            )
        created = Grid.objects.bulk_create(grids)
        ids = [grid.pk for grid in created]
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE grids_grid SET area_m2 = ST_Area(boundary::geography) WHERE id = ANY(%s)"
                " RETURNING id, area_m2",
                [ids],
            )
            areas = dict(cursor.fetchall())
        for grid in created:
            grid.area_m2 = areas[grid.pk]
        components_relocate(
            grid_ids=[old.pk for old in in_force], unplaced_within=community.boundary
        )
    return created


def grids_generate_within(
    *,
    area_codes: list[str],
    cell_m2: float = DEFAULT_CELL_M2,
    valid_from: date | None = None,
    replace: bool = False,
    min_fraction: float = 0.3,
) -> dict[Area, list[Grid]]:
    """grids_generate for every community under the given areas, all or nothing."""
    communities: list[Area] = []
    for code in area_codes:
        found = list(Area.objects.communities().within_code(code).order_by("code"))
        if not found:
            raise ValidationFailed(
                _("区划 %(code)s 下没有社区。") % {"code": code}, code="no_communities"
            )
        communities += found
    with transaction.atomic():
        return {
            community: grids_generate(
                community=community,
                cell_m2=cell_m2,
                valid_from=valid_from,
                replace=replace,
                min_fraction=min_fraction,
            )
            for community in communities
        }

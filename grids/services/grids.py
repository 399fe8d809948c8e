"""Writes to unit grids. A grid in force is never edited: it is retired and a new version with
the same code starts the same day, so cases keep pointing at the shape they were filed in."""

from __future__ import annotations

from datetime import date

from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridcity.errors import Conflict, ValidationFailed
from grids import codes
from grids.models import Area, Grid
from grids.services.components import components_relocate
from grids.spatial import area_m2, as_multipolygon


def _check_day(day: date | None) -> date:
    today = timezone.localdate()
    day = day or today
    if day > today:
        raise ValidationFailed(
            _("生效日期 %(day)s 不能晚于今天：部件按现行网格定位。") % {"day": day},
            code="future_date",
        )
    return day


def _check_grade(grade: int) -> int:
    if grade not in Grid.Grade.values:
        raise ValidationFailed(
            _("管理等级 %(grade)s 无效（1、2 或 3）。") % {"grade": grade}, code="invalid_grade"
        )
    return int(grade)


def grid_create(
    *,
    code: str,
    community: Area,
    boundary: GEOSGeometry,
    grade: int = Grid.Grade.SECOND,
    valid_from: date | None = None,
) -> Grid:
    """A new grid in force from `valid_from` (today). Its area is measured on the spheroid."""
    if community.level != Area.Level.COMMUNITY:
        raise ValidationFailed(
            _("%(area)s 不是社区/村，网格只能属于社区。") % {"area": community},
            code="not_a_community",
        )
    code = codes.validate_grid_code(code, community_code=community.code)
    shape = as_multipolygon(boundary, what=_("网格 %(code)s") % {"code": code})
    day = _check_day(valid_from)
    with transaction.atomic():
        if Grid.objects.filter(code=code, valid_to__isnull=True).exists():
            raise Conflict(
                _("网格 %(code)s 已在使用；修改边界请停用后替换。") % {"code": code},
                code="grid_exists",
            )
        if Grid.objects.filter(code=code, valid_from__gte=day).exists():
            raise Conflict(
                _("网格 %(code)s 已有 %(day)s 或更晚启用的版本。") % {"code": code, "day": day},
                code="grid_version_exists",
            )
        grid = Grid.objects.create(
            code=code,
            community=community,
            boundary=shape,
            area_m2=area_m2(shape),
            grade=_check_grade(grade),
            valid_from=day,
        )
        components_relocate(grid_ids=[], unplaced_within=grid.boundary)
    return grid


def grid_retire(*, grid: Grid, on: date | None = None) -> Grid:
    """Take a grid out of force from `on` (today); its components move to whatever grid now
    covers them, or to none."""
    day = _check_day(on)
    with transaction.atomic():
        grid = Grid.objects.select_for_update().get(pk=grid.pk)
        if grid.valid_to is not None:
            raise Conflict(
                _("网格 %(code)s 已于 %(day)s 停用。") % {"code": grid.code, "day": grid.valid_to},
                code="grid_retired",
            )
        if day <= grid.valid_from:
            raise ValidationFailed(
                _(
                    "网格 %(code)s 于 %(start)s 启用，停用日期须晚于启用日期；"
                    "当天启用的网格请直接更正边界。"
                )
                % {"code": grid.code, "start": grid.valid_from},
                code="retire_before_start",
            )
        grid.valid_to = day
        grid.save(update_fields=["valid_to"])
        components_relocate(grid_ids=[grid.pk])
    return grid


def grid_retire_and_replace(
    *,
    grid: Grid,
    boundary: GEOSGeometry | None = None,
    grade: int | None = None,
    valid_from: date | None = None,
) -> Grid:
    """Retire `grid` and create its next version (same code) from `valid_from` (today), with a
    new boundary and/or grade. Components move to the new version where it covers them."""
    day = _check_day(valid_from)
    with transaction.atomic():
        old = Grid.objects.select_for_update().select_related("community").get(pk=grid.pk)
        if old.valid_to is not None:
            raise Conflict(
                _("网格 %(code)s 已停用，只能替换现行版本。") % {"code": old.code},
                code="grid_retired",
            )
        if day <= old.valid_from:
            raise ValidationFailed(
                _("新版本须晚于现行版本的启用日期 %(start)s；当天启用的网格请直接更正边界。")
                % {"start": old.valid_from},
                code="retire_before_start",
            )
        shape = (
            as_multipolygon(boundary, what=_("网格 %(code)s") % {"code": old.code})
            if boundary is not None
            else old.boundary
        )
        old.valid_to = day
        old.save(update_fields=["valid_to"])
        new = Grid.objects.create(
            code=old.code,
            community=old.community,
            boundary=shape,
            area_m2=area_m2(shape),
            grade=_check_grade(grade if grade is not None else old.grade),
            valid_from=day,
        )
        components_relocate(grid_ids=[old.pk], unplaced_within=new.boundary)
    return new


def grid_boundary_correct(
    *, grid: Grid, boundary: GEOSGeometry | None = None, grade: int | None = None
) -> Grid:
    """Correct a grid on the day it came into force, in place: nothing can have been filed
    against a shape older than today that this changes."""
    with transaction.atomic():
        grid = Grid.objects.select_for_update().get(pk=grid.pk)
        if grid.valid_from != timezone.localdate() or grid.valid_to is not None:
            raise Conflict(
                _("网格 %(code)s 不是今天启用的现行网格，修改请停用并替换。") % {"code": grid.code},
                code="grid_in_use",
            )
        fields = []
        if boundary is not None:
            grid.boundary = as_multipolygon(boundary, what=_("网格 %(code)s") % {"code": grid.code})
            grid.area_m2 = area_m2(grid.boundary)
            fields += ["boundary", "area_m2"]
        if grade is not None:
            grid.grade = _check_grade(grade)
            fields.append("grade")
        if fields:
            grid.save(update_fields=fields)
            if boundary is not None:
                components_relocate(grid_ids=[grid.pk], unplaced_within=grid.boundary)
    return grid

"""Attribute names and values of exchange files: the project's own names, the legacy CJ/T 214
exchange names (ObjID, ObjName, DeptCode1–3 …) and common Chinese headings, and the problems an
import reports feature by feature."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache

from django.utils import translation
from django.utils.translation import gettext as _

from gridcity.errors import ValidationFailed
from grids.models import Component

# canonical name → accepted source names (matched case-insensitively, first present wins)
AREA_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("code", "XZQDM", "QHDM", "区划代码", "编码", "代码"),
    "name": ("name", "XZQMC", "QHMC", "区划名称", "名称"),
}
GRID_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("code", "BGID", "grid_code", "网格编码", "编码"),
    "grade": ("grade", "Grade", "等级", "管理等级"),
    "valid_from": ("valid_from", "ORDate", "启用日期"),
}
COMPONENT_FIELDS: dict[str, tuple[str, ...]] = {
    "identifier": ("identifier", "ObjID", "BSM", "标识码"),
    "category": ("category", "class_code", "类别编码", "部件类型编码"),
    "name": ("name", "ObjName", "名称", "部件名称"),
    "supervising_unit_code": ("supervising_unit_code", "DeptCode1", "主管部门代码"),
    "supervising_unit_name": ("supervising_unit_name", "DeptName1", "主管部门名称"),
    "owner_unit_code": ("owner_unit_code", "DeptCode2", "权属单位代码"),
    "owner_unit_name": ("owner_unit_name", "DeptName2", "权属单位名称"),
    "maintenance_unit_code": ("maintenance_unit_code", "DeptCode3", "养护单位代码"),
    "maintenance_unit_name": ("maintenance_unit_name", "DeptName3", "养护单位名称"),
    "grid_code": ("grid_code", "BGID", "网格编码", "所在单元网格"),
    "status": ("status", "ObjState", "状态", "部件状态"),
    "survey_date": ("survey_date", "ORDate", "初始日期"),
    "change_date": ("change_date", "CHDate", "变更日期"),
    "data_source": ("data_source", "DataSource", "数据来源"),
    "remarks": ("remarks", "Note", "备注"),
}
# Export names in the legacy exchange layout; at most 10 characters, so they survive Shapefile.
LEGACY_EXPORT_NAMES = {
    "identifier": "ObjID",
    "name": "ObjName",
    "supervising_unit_code": "DeptCode1",
    "supervising_unit_name": "DeptName1",
    "owner_unit_code": "DeptCode2",
    "owner_unit_name": "DeptName2",
    "maintenance_unit_code": "DeptCode3",
    "maintenance_unit_name": "DeptName3",
    "grid_code": "BGID",
    "status": "ObjState",
    "survey_date": "ORDate",
    "change_date": "CHDate",
    "data_source": "DataSource",
    "remarks": "Note",
}

SHAPEFILE_NAME_LENGTH = 10
DATE_PATTERNS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y-%m-%dT%H:%M:%S")
_DATE_PREFIX = re.compile(r"^\d{4}[-/.]?\d{1,2}[-/.]?\d{1,2}")


@dataclass(frozen=True)
class FeatureProblem:
    """Why one feature of a source cannot be imported. `index` is its 1-based position."""

    index: int
    reason: str

    def __str__(self) -> str:
        return _("第 %(index)s 个要素：%(reason)s") % {"index": self.index, "reason": self.reason}


class ImportFailed(ValidationFailed):
    """An import found invalid features; nothing was written."""

    code = "import_invalid"

    def __init__(self, problems: Iterable[FeatureProblem], *, total: int) -> None:
        self.problems = sorted(problems, key=lambda p: p.index)
        super().__init__(
            _("%(n)s 个要素（共 %(total)s 个）有错误，未导入任何数据。")
            % {"n": len({p.index for p in self.problems}), "total": total},
            problems=[{"index": p.index, "reason": p.reason} for p in self.problems],
        )


def field_map(available: Iterable[str], aliases: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """canonical name → the source's own column name, for the columns the source has."""
    by_lower = {name.lower(): name for name in available}
    found: dict[str, str] = {}
    for canonical, names in aliases.items():
        for alias in names:
            key = alias.lower()
            # Shapefile (dBase) cuts field names to 10 characters: survey_date → survey_dat.
            name = by_lower.get(key) or by_lower.get(key[:SHAPEFILE_NAME_LENGTH])
            if name is not None:
                found[canonical] = name
                break
    return found


@lru_cache(maxsize=4096)
def _date_or_none(value: str) -> date | None:
    # Exchange files repeat the same few dates; parsing each spelling once keeps a million rows
    # cheap. ISO dates take the C fast path.
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    match = _DATE_PREFIX.match(value)
    candidate = value if match is None else value[: match.end()]
    for pattern in DATE_PATTERNS:
        try:
            return datetime.strptime(candidate, pattern).date()
        except ValueError:
            continue
    return None


def parse_date(value: str, *, what: str) -> date | None:
    """A date from the spellings exchange files use: 2020-01-31, 2020/01/31, 20200131 …"""
    value = (value or "").strip()
    if not value:
        return None
    found = _date_or_none(value)
    if found is None:
        raise ValidationFailed(
            _("%(what)s“%(value)s”不是有效日期（如 2020-01-31）。")
            % {"what": what, "value": value},
            code="invalid_date",
        )
    return found


@cache
def _choice_lookup(choices: type) -> dict[str, str]:
    """Value → key for the English keys and the Chinese labels (the labels' source strings)."""
    lookup = {}
    with translation.override("zh-hans"):
        for value, label in choices.choices:
            lookup[value.lower()] = value
            lookup[str(label)] = value
    return lookup


def parse_status(value: str) -> str:
    """完好/破损/丢失/废弃/移除 or the English keys; empty means intact."""
    value = (value or "").strip()
    if not value:
        return Component.Status.INTACT
    lookup = _choice_lookup(Component.Status)
    found = lookup.get(value) or lookup.get(value.lower())
    if found is None:
        raise ValidationFailed(
            _("部件状态“%(value)s”无效（完好、破损、丢失、废弃、移除）。") % {"value": value},
            code="invalid_status",
        )
    return found


def parse_data_source(value: str) -> str:
    """实测/地形图/基础地理数据/其他 or the English keys; empty means other (unknown)."""
    value = (value or "").strip()
    if not value:
        return Component.DataSource.OTHER
    lookup = _choice_lookup(Component.DataSource)
    found = lookup.get(value) or lookup.get(value.lower())
    if found is None:
        raise ValidationFailed(
            _("数据来源“%(value)s”无效（实测、地形图、基础地理数据、其他）。") % {"value": value},
            code="invalid_data_source",
        )
    return found

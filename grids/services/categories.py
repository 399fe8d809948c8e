"""Writes to the category directory: loading the national standard, local codes, legacy codes."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridcity.errors import Conflict, ValidationFailed
from grids import codes
from grids.models import Category, LegacyCategoryCode, category_search_keys

DIRECTORY_EDITION = "GB/T 47678.5-2026"
LOCAL_EDITION = "local"
DIRECTORY_CSV = Path(__file__).resolve().parent.parent / "data" / "gbt47678-5-directory.csv"
DIRECTORY_COUNTS = {"component": 153, "matter": 250}


@dataclass(frozen=True)
class DirectoryRow:
    kind: str
    code: str
    name: str
    major_code: str
    major_name: str


def directory_rows(path: Path = DIRECTORY_CSV) -> list[DirectoryRow]:
    """The national directory as shipped with the project, checked row by row."""
    rows: list[DirectoryRow] = []
    seen: set[tuple[str, str]] = set()
    with path.open(encoding="utf-8", newline="") as handle:
        for line, record in enumerate(csv.DictReader(handle), start=2):
            row = DirectoryRow(
                kind=record["kind"].strip(),
                code=record["code"].strip(),
                name=record["name"].strip(),
                major_code=record["major_code"].strip(),
                major_name=record["major_name"].strip(),
            )
            if row.kind not in Category.Kind.values or not row.name:
                raise ValidationFailed(f"{path.name}:{line}: bad kind or empty name")
            codes.validate_category_code(row.code)
            if row.code[:2] != row.major_code or (row.kind, row.code) in seen:
                raise ValidationFailed(f"{path.name}:{line}: major mismatch or duplicate code")
            seen.add((row.kind, row.code))
            rows.append(row)
    counts = {kind: sum(1 for r in rows if r.kind == kind) for kind in DIRECTORY_COUNTS}
    if counts != DIRECTORY_COUNTS:
        raise ValidationFailed(f"{path.name}: expected {DIRECTORY_COUNTS}, found {counts}")
    return rows


def category_directory_load() -> int:
    """(Re)load the national directory idempotently; returns the number of directory rows.

    Names and majors follow the file; English names that staff entered are kept; national codes
    that are no longer in the file are retired (never deleted: cases may point at them).
    """
    return load_directory_into(Category)


def load_directory_into(model: Any) -> int:
    """The loader behind category_directory_load, taking the model class so that the data
    migration can pass its historical model."""
    rows = directory_rows()
    today = timezone.localdate()
    # bulk writes skip Category.save(), so the search keys are filled here; migration 0002
    # passes a historical model from before they existed.
    keyed = any(f.name == "search_keys" for f in model._meta.get_fields())
    with transaction.atomic():
        existing = {(c.kind, c.code): c for c in model.objects.select_for_update()}
        to_create, to_update = [], []
        for row in rows:
            current = existing.get((row.kind, row.code))
            values = {
                "name": row.name,
                "major_code": row.major_code,
                "major_name": row.major_name,
                "edition": DIRECTORY_EDITION,
                "is_local": False,
                "retired_on": None,
            }
            if keyed:
                values["search_keys"] = category_search_keys(row.name)
            if current is None:
                to_create.append(model(kind=row.kind, code=row.code, **values))
            elif any(getattr(current, k) != v for k, v in values.items()):
                for key, value in values.items():
                    setattr(current, key, value)
                to_update.append(current)
        listed = {(row.kind, row.code) for row in rows}
        for key, category in existing.items():
            if (
                key not in listed
                and not category.is_local
                and category.edition == DIRECTORY_EDITION
                and category.retired_on is None
            ):
                category.retired_on = today
                to_update.append(category)
        model.objects.bulk_create(to_create)
        model.objects.bulk_update(
            to_update,
            ["name", "major_code", "major_name", "edition", "is_local", "retired_on"]
            + (["search_keys"] if keyed else []),
        )
    return len(rows)


def category_local_add(
    *, kind: str, code: str, name: str, major_name: str = "", name_en: str = ""
) -> Category:
    """Add a city's own code (minor ≥ 080, or majors 21 / 99). A code once used is never reused."""
    if kind not in Category.Kind.values:
        raise ValidationFailed(_("类别必须是部件或事件。"), code="invalid_kind")
    code = codes.validate_local_category_code(code)
    name = name.strip()
    if not name:
        raise ValidationFailed(_("请填写类别名称。"), code="name_required")
    with transaction.atomic():
        taken = Category.objects.select_for_update().filter(kind=kind, code=code).first()
        if taken is not None:
            raise Conflict(
                _("编码 %(code)s 已被“%(name)s”使用过，停用的编码也不得复用。")
                % {"code": code, "name": taken.name},
                code="code_taken",
            )
        sibling = (
            Category.objects.filter(kind=kind, major_code=code[:2]).order_by("is_local").first()
        )
        if sibling is not None:
            major_name = sibling.major_name
        elif code[:2] not in codes.LOCAL_MAJORS:
            raise ValidationFailed(
                _("大类 %(major)s 不在%(kind)s目录中；新的大类只能用 21 或 99。")
                % {"major": code[:2], "kind": Category.Kind(kind).label},
                code="unknown_major",
            )
        elif not major_name.strip():
            raise ValidationFailed(
                _("新的地方大类 %(major)s 需要大类名称。") % {"major": code[:2]},
                code="major_name_required",
            )
        return Category.objects.create(
            kind=kind,
            code=code,
            name=name,
            name_en=name_en.strip(),
            major_code=code[:2],
            major_name=major_name.strip(),
            edition=LOCAL_EDITION,
            is_local=True,
        )


def category_update(
    *, category: Category, name: str | None = None, name_en: str | None = None
) -> Category:
    """Set the English name of any category, and rename a local one (national names follow the
    standard and change only with the directory)."""
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        fields = []
        if name_en is not None and name_en.strip() != category.name_en:
            category.name_en = name_en.strip()
            fields.append("name_en")
        if name is not None and name.strip() and name.strip() != category.name:
            if not category.is_local:
                raise ValidationFailed(
                    _("%(code)s 是国家标准编码，名称以标准为准。") % {"code": category.code},
                    code="national_code",
                )
            category.name = name.strip()
            fields.append("name")
        if fields:
            category.save(update_fields=fields)
    return category


def category_retire(*, category: Category, on: date | None = None) -> Category:
    """Stop a local code from taking new records from a day on; existing records keep it."""
    if not category.is_local:
        raise ValidationFailed(
            _("%(code)s 是国家标准编码，只能随标准修订停用。") % {"code": category.code},
            code="national_code",
        )
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        category.retired_on = on or timezone.localdate()
        category.save(update_fields=["retired_on"])
    return category


def legacy_code_map(
    *, kind: str, code: str, category: Category, note: str = ""
) -> LegacyCategoryCode:
    """Record (or change) which current category a legacy four-digit code stands for."""
    if category.kind != kind:
        raise ValidationFailed(
            _("旧版%(kind)s编码只能对应同类的现行类别。") % {"kind": Category.Kind(kind).label},
            code="kind_mismatch",
        )
    if len(code) != 4 or not code.isdigit():
        raise ValidationFailed(
            _("旧版编码“%(code)s”应为 4 位数字。") % {"code": code}, code="invalid_code"
        )
    with transaction.atomic():
        mapping, _created = LegacyCategoryCode.objects.select_for_update().update_or_create(
            kind=kind, code=code, defaults={"category": category, "note": note}
        )
    return mapping

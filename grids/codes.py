"""The standard codes of the city model: areas (GB/T 2260 + GB/T 10114), unit grids, categories
and component identifiers. Pure functions; each raises ValidationFailed saying what is wrong."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from gridcity.errors import ValidationFailed

DIGITS = re.compile(r"^[0-9]+$")
# Unified social credit code (GB 32100-2015): 18 characters without I, O, S, V, Z.
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
# The 9-character organisation code it replaced (GB 11714), still found in legacy exchange files.
ORGANISATION_CODE = re.compile(r"^[0-9A-Z]{8}[0-9X]$")

AREA_CODE_LENGTHS = {6: "district", 9: "street", 12: "community"}
LOCAL_MAJORS = frozenset({"21", "99"})
LOCAL_MINOR_FLOOR = 80
# Matter majors 06–10 of the 2026 edition are the legacy event majors 01–05 plus five.
LEGACY_MATTER_MAJOR_SHIFT = 5


def _within(code: str, what: str, check: Callable[[str], str], part: str) -> None:
    """Check the parent part of a code, naming the whole code when it is wrong."""
    try:
        check(part)
    except ValidationFailed as exc:
        raise ValidationFailed(
            _("%(what)s“%(code)s”有误：%(reason)s")
            % {"what": _(what), "code": code, "reason": exc.message},
            code=exc.code,
        ) from exc


def _digits(value: str, *, length: int | tuple[int, ...], what: str) -> str:
    """`what` is an untranslated name (gettext_noop): translating costs time only on error."""
    value = (value or "").strip()
    lengths = (length,) if isinstance(length, int) else length
    if not DIGITS.match(value) or len(value) not in lengths:
        wanted = _("或").join(str(n) for n in lengths)
        raise ValidationFailed(
            _("%(what)s“%(value)s”应为 %(n)s 位数字。")
            % {"what": _(what), "value": value, "n": wanted},
            code="invalid_code",
        )
    return value


def area_level_for_code(code: str) -> str:
    """The Area level ("district", "street", "community") that a code's length denotes."""
    code = (code or "").strip()
    level = AREA_CODE_LENGTHS.get(len(code)) if DIGITS.match(code) else None
    if level is None:
        raise ValidationFailed(
            _("区划编码“%(code)s”应为 6 位（区县）、9 位（街道/乡镇）或 12 位（社区/村）数字。")
            % {"code": code},
            code="invalid_code",
        )
    return level


def validate_district_code(code: str) -> str:
    """A county-level GB/T 2260 code: province 11–82, and not a prefecture's own "xx00" code."""
    code = _digits(code, length=6, what=N_("区县编码"))
    if not 11 <= int(code[:2]) <= 82:
        raise ValidationFailed(
            _("区县编码“%(code)s”的省级代码 %(p)s 不存在。") % {"code": code, "p": code[:2]},
            code="invalid_code",
        )
    if code[4:] == "00":
        raise ValidationFailed(
            _("“%(code)s”是地市级代码，区县编码的末两位不能为 00。") % {"code": code},
            code="invalid_code",
        )
    return code


def validate_street_code(code: str, *, district_code: str | None = None) -> str:
    """A street/town code: the district's 6 digits + a 3-digit GB/T 10114 number (not 000)."""
    code = _digits(code, length=9, what=N_("街道编码"))
    _within(code, N_("街道编码"), validate_district_code, code[:6])
    if code[6:] == "000":
        raise ValidationFailed(
            _("街道编码“%(code)s”的后三位不能为 000。") % {"code": code}, code="invalid_code"
        )
    if district_code is not None and not code.startswith(district_code):
        raise ValidationFailed(
            _("街道编码“%(code)s”不以所属区县编码 %(parent)s 开头。")
            % {"code": code, "parent": district_code},
            code="invalid_code",
        )
    return code


def validate_community_code(code: str, *, street_code: str | None = None) -> str:
    """A community/village code: the street's 9 digits + a 3-digit number (not 000)."""
    code = _digits(code, length=12, what=N_("社区编码"))
    _within(code, N_("社区编码"), validate_street_code, code[:9])
    if code[9:] == "000":
        raise ValidationFailed(
            _("社区编码“%(code)s”的后三位不能为 000。") % {"code": code}, code="invalid_code"
        )
    if street_code is not None and not code.startswith(street_code):
        raise ValidationFailed(
            _("社区编码“%(code)s”不以所属街道编码 %(parent)s 开头。")
            % {"code": code, "parent": street_code},
            code="invalid_code",
        )
    return code


def validate_area_code(
    code: str, *, level: str | None = None, parent_code: str | None = None
) -> str:
    """Any area code; the level is taken from the length unless given, and must then agree."""
    actual = area_level_for_code(code)
    if level is not None and level != actual:
        raise ValidationFailed(
            _("编码“%(code)s”的位数与层级“%(level)s”不符。") % {"code": code, "level": level},
            code="invalid_code",
        )
    if actual == "district":
        return validate_district_code(code)
    if actual == "street":
        return validate_street_code(code, district_code=parent_code)
    return validate_community_code(code, street_code=parent_code)


def validate_grid_code(code: str, *, community_code: str | None = None) -> str:
    """A unit grid code: 14 digits (CJ/T 213) or 15 (GB/T 47678.3) = community code + sequence."""
    code = _digits(code, length=(14, 15), what=N_("网格编码"))
    _within(code, N_("网格编码"), validate_community_code, code[:12])
    if int(code[12:]) == 0:
        raise ValidationFailed(
            _("网格编码“%(code)s”的顺序号不能为 0。") % {"code": code}, code="invalid_code"
        )
    if community_code is not None and code[:12] != community_code:
        raise ValidationFailed(
            _("网格编码“%(code)s”的前 12 位应为所属社区编码 %(community)s。")
            % {"code": code, "community": community_code},
            code="invalid_code",
        )
    return code


def grid_code_make(*, community_code: str, sequence: int) -> str:
    """The current 15-character grid code: community code + 3-digit sequence (001–999)."""
    if not 1 <= sequence <= 999:
        raise ValidationFailed(
            _("社区 %(community)s 的网格顺序号 %(n)s 超出 001–999。")
            % {"community": community_code, "n": sequence},
            code="grid_sequence_overflow",
        )
    return f"{community_code}{sequence:03d}"


def validate_category_code(code: str) -> str:
    """A current 5-digit class code: 2-digit major (01–99) + 3-digit minor (001–999)."""
    code = _digits(code, length=5, what=N_("类别编码"))
    if code[:2] == "00" or code[2:] == "000":
        raise ValidationFailed(
            _("类别编码“%(code)s”的大类或小类不能为 0。") % {"code": code}, code="invalid_code"
        )
    return code


def is_local_category_code(code: str) -> bool:
    """Whether a 5-digit code lies in the range GB/T 47678.5 leaves to cities."""
    return code[:2] in LOCAL_MAJORS or int(code[2:]) >= LOCAL_MINOR_FLOOR


def validate_local_category_code(code: str) -> str:
    code = validate_category_code(code)
    if not is_local_category_code(code):
        raise ValidationFailed(
            _(
                "地方扩展编码“%(code)s”须使用小类 080 及以上，或大类 21、99；"
                "其余编码由国家标准分配。"
            )
            % {"code": code},
            code="invalid_local_code",
        )
    return code


def legacy_matter_code_to_current(code: str) -> str:
    """The rule for legacy CJ/T 214 event codes: major + 5, minor padded to 3 digits.

    01-10 暴露垃圾 → 06010. Only the 2026 directory can say whether the result exists.
    """
    code = _digits(code, length=4, what=N_("旧版事件编码"))
    major = int(code[:2])
    if not 1 <= major <= 5:
        raise ValidationFailed(
            _("旧版事件大类 %(major)s 不在 01–05 之内，无法按规则换算。") % {"major": code[:2]},
            code="legacy_code_unmapped",
        )
    return f"{major + LEGACY_MATTER_MAJOR_SHIFT:02d}0{code[2:]}"


@dataclass(frozen=True)
class ComponentIdentifier:
    """The parts of a component identifier."""

    district_code: str
    class_code: str
    serial: int

    @property
    def is_legacy(self) -> bool:
        return len(self.class_code) == 4

    def __str__(self) -> str:
        return f"{self.district_code}{self.class_code}{self.serial:06d}"


def parse_component_identifier(identifier: str) -> ComponentIdentifier:
    """17 digits = district (6) + class (5) + serial (6); legacy 16 digits have a 4-digit class."""
    value = _digits(identifier, length=(16, 17), what=N_("部件标识码"))
    class_end = len(value) - 6
    serial = int(value[class_end:])
    if serial == 0:
        raise ValidationFailed(
            _("部件标识码“%(value)s”的流水号不能为 000000。") % {"value": value},
            code="invalid_code",
        )
    _within(value, N_("部件标识码"), validate_district_code, value[:6])
    return ComponentIdentifier(
        district_code=value[:6], class_code=value[6:class_end], serial=serial
    )


def validate_component_identifier(identifier: str, *, class_code: str | None = None) -> str:
    """An identifier, whose class digits must be the component's own category when it is current."""
    parts = parse_component_identifier(identifier)
    if class_code is not None and not parts.is_legacy and parts.class_code != class_code:
        raise ValidationFailed(
            _("部件标识码“%(value)s”中的类别编码 %(inner)s 与部件类别 %(code)s 不一致。")
            % {"value": identifier, "inner": parts.class_code, "code": class_code},
            code="identifier_category_mismatch",
        )
    return str(parts)


def component_identifier_make(*, district_code: str, class_code: str, serial: int) -> str:
    if not 1 <= serial <= 999_999:
        raise ValidationFailed(
            _("区县 %(d)s 类别 %(c)s 的部件流水号已用尽（最多 999999）。")
            % {"d": district_code, "c": class_code},
            code="serial_exhausted",
        )
    return f"{district_code}{class_code}{serial:06d}"


def validate_unit_code(code: str) -> str:
    """A unit's unified social credit code, or a legacy 9-character organisation code.

    Empty is allowed (the attribute is optional); a hyphenated organisation code is normalised.
    """
    value = (code or "").strip().upper()
    if not value:
        return ""
    compact = value.replace("-", "")
    if CREDIT_CODE.match(value) or ORGANISATION_CODE.match(compact):
        return value if len(value) == 18 else compact
    raise ValidationFailed(
        _("单位代码“%(code)s”应为 18 位统一社会信用代码或 9 位组织机构代码。") % {"code": code},
        code="invalid_unit_code",
    )

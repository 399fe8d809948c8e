"""The unified social credit code (统一社会信用代码, GB 32100-2015): format and check character."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100 uses the 31 characters below; I, O, S, V and Z are left out so codes read unambiguously.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
FORMAT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
# GB 11714 organisation code check digit (position 9 of the 9-character organisation code).
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code_check_character(first17: str) -> str:
    """The 18th character of a credit code whose first 17 characters are given."""
    total = sum(CHARSET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Why a credit code is invalid, in words, or None when it is valid."""
    if len(code) != 18:
        return str(_("统一社会信用代码应为 18 位，实际为 %(n)d 位。") % {"n": len(code)})
    if not FORMAT.match(code):
        return str(_("统一社会信用代码只能含数字和大写字母（不含 I、O、S、V、Z）。"))
    expected = credit_code_check_character(code[:17])
    if code[17] != expected:
        return str(
            _("统一社会信用代码校验位错误：应为 %(expected)s，实际为 %(actual)s。")
            % {"expected": expected, "actual": code[17]}
        )
    return None


def validate_credit_code(value: str) -> None:
    """Django field validator for credit codes."""
    problem = credit_code_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_credit_code")


def credit_code_make(*, registration: str, region: str, serial: str) -> str:
    """A valid credit code from a 2-character registration/type prefix (e.g. "12" for a public
    institution), a 6-digit region code and an 8-digit organisation serial; both check
    characters (GB 11714 and GB 32100) are computed."""
    if len(registration) != 2 or len(region) != 6 or len(serial) != 8 or not serial.isdigit():
        raise ValueError("registration must have 2 characters, region 6 and serial 8 digits")
    remainder = 11 - sum(int(d) * w for d, w in zip(serial, _ORG_WEIGHTS, strict=True)) % 11
    org_check = {10: "X", 11: "0"}.get(remainder, str(remainder))
    first17 = f"{registration}{region}{serial}{org_check}"
    if not FORMAT.match(first17 + "0"):
        raise ValueError(f"characters outside the GB 32100 set in {first17!r}")
    return first17 + credit_code_check_character(first17)

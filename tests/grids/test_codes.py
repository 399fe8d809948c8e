"""The standard codes: areas, grids, categories, component identifiers, unit codes."""

from __future__ import annotations

import pytest

from gridcity.errors import ValidationFailed
from grids import codes


@pytest.mark.parametrize(
    ("code", "level"),
    [("370202", "district"), ("370202001", "street"), ("370202001002", "community")],
)
def test_area_level_for_code_follows_the_length(code: str, level: str) -> None:
    assert codes.area_level_for_code(code) == level


@pytest.mark.parametrize(
    "code",
    [
        "37020",  # too short
        "3702021",  # between levels
        "37020A",  # not digits
        "990202",  # no such province
        "370200",  # a prefecture's own code, not a district
        "370202000",  # street number 000
        "370202001000",  # community number 000
        "370200001001",  # under a prefecture code
    ],
)
def test_validate_area_code_rejects_malformed_codes(code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        codes.validate_area_code(code)

    assert code in caught.value.message


def test_validate_street_code_checks_the_parent_prefix() -> None:
    with pytest.raises(ValidationFailed) as caught:
        codes.validate_street_code("370203001", district_code="370202")

    assert "370202" in caught.value.message


@pytest.mark.parametrize("code", ["37020200100201", "370202001002001"])
def test_validate_grid_code_accepts_legacy_14_and_current_15_digits(code: str) -> None:
    assert codes.validate_grid_code(code, community_code="370202001002") == code


@pytest.mark.parametrize(
    ("code", "community"),
    [
        ("3702020010020010", None),  # 16 digits
        ("370202001002000", None),  # sequence 0
        ("370202001003001", "370202001002"),  # another community's grid
        ("37020200100200A", None),
    ],
)
def test_validate_grid_code_rejects_bad_codes(code: str, community: str | None) -> None:
    with pytest.raises(ValidationFailed):
        codes.validate_grid_code(code, community_code=community)


def test_grid_code_make_pads_to_three_digits_and_stops_at_999() -> None:
    assert codes.grid_code_make(community_code="370202001002", sequence=7) == "370202001002007"
    with pytest.raises(ValidationFailed):
        codes.grid_code_make(community_code="370202001002", sequence=1000)


@pytest.mark.parametrize(
    ("code", "local"),
    [("01001", False), ("06079", False), ("06080", True), ("01999", True), ("21001", True),
     ("99015", True), ("10002", False)],
)  # fmt: skip
def test_is_local_category_code_uses_minor_080_or_majors_21_99(code: str, local: bool) -> None:
    assert codes.is_local_category_code(code) is local


def test_validate_local_category_code_refuses_the_national_range() -> None:
    with pytest.raises(ValidationFailed) as caught:
        codes.validate_local_category_code("06012")

    assert caught.value.code == "invalid_local_code"


@pytest.mark.parametrize(
    ("legacy", "current"),
    [("0110", "06010"), ("0201", "07001"), ("0412", "09012"), ("0501", "10001")],
)
def test_legacy_matter_code_adds_five_to_the_major_and_pads_the_minor(
    legacy: str, current: str
) -> None:
    assert codes.legacy_matter_code_to_current(legacy) == current


def test_legacy_matter_code_outside_majors_01_05_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        codes.legacy_matter_code_to_current("0701")


def test_parse_component_identifier_splits_district_class_and_serial() -> None:
    parts = codes.parse_component_identifier("37020201001000123")

    assert (parts.district_code, parts.class_code, parts.serial) == ("370202", "01001", 123)
    assert not parts.is_legacy


def test_parse_component_identifier_reads_legacy_16_digits() -> None:
    parts = codes.parse_component_identifier("3702020101000042")

    assert (parts.class_code, parts.serial, parts.is_legacy) == ("0101", 42, True)


@pytest.mark.parametrize("value", ["3702020100100012", "370202010010001234", "37020201001000000"])
def test_parse_component_identifier_rejects_wrong_length_or_zero_serial(value: str) -> None:
    # 16 digits with a current class would mean a 5-digit serial: it reads as legacy, so only
    # lengths and the zero serial are wrong here.
    if len(value) == 16:
        assert codes.parse_component_identifier(value).is_legacy
        return
    with pytest.raises(ValidationFailed):
        codes.parse_component_identifier(value)


def test_validate_component_identifier_requires_its_class_to_match_the_category() -> None:
    with pytest.raises(ValidationFailed) as caught:
        codes.validate_component_identifier("37020201002000001", class_code="01001")

    assert caught.value.code == "identifier_category_mismatch"


def test_component_identifier_make_is_17_digits() -> None:
    made = codes.component_identifier_make(district_code="370202", class_code="04002", serial=9)

    assert made == "37020204002000009"
    assert len(made) == 17


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", ""), ("91350100M000100Y43", "91350100M000100Y43"), ("12345678-x", "12345678X")],
)
def test_validate_unit_code_accepts_credit_and_organisation_codes(
    value: str, expected: str
) -> None:
    assert codes.validate_unit_code(value) == expected


@pytest.mark.parametrize("value", ["91350100M000100Y4", "91350100I000100Y43", "ABC"])
def test_validate_unit_code_rejects_other_strings(value: str) -> None:
    with pytest.raises(ValidationFailed):
        codes.validate_unit_code(value)

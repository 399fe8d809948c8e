"""The category directory: the national load, local codes and legacy codes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.utils import timezone

from gridcity.errors import Conflict, NotFound, ValidationFailed
from grids import selectors, services
from grids.models import Category
from grids.services.categories import DIRECTORY_EDITION


def test_directory_load_holds_153_component_and_250_matter_types(directory: int) -> None:
    assert directory == 403
    assert Category.objects.components().count() == 153
    assert Category.objects.matters().count() == 250
    assert Category.objects.filter(edition=DIRECTORY_EDITION).count() == 403


def test_directory_load_tells_component_and_matter_apart_by_kind(directory: int) -> None:
    component = selectors.category_get(kind="component", code="01001")
    matter = selectors.category_get(kind="matter", code="01001")

    assert component.name == "供水井盖"
    assert matter.name.startswith("供水井盖")
    assert component.pk != matter.pk


def test_directory_load_is_idempotent_and_keeps_english_names(directory: int) -> None:
    services.category_update(
        category=selectors.category_get(kind="matter", code="06010"), name_en="Exposed garbage"
    )

    again = services.category_directory_load()

    assert again == 403
    assert Category.objects.count() == 403
    assert selectors.category_get(kind="matter", code="06010").name_en == "Exposed garbage"


def test_directory_load_restores_a_changed_name_and_retires_withdrawn_codes(directory: int) -> None:
    Category.objects.filter(kind="matter", code="06010").update(name="改错的名称")
    withdrawn = Category.objects.create(
        kind="matter", code="06031", name="已撤销", major_code="06", major_name="市容环境类",
        edition=DIRECTORY_EDITION,
    )  # fmt: skip

    services.category_directory_load()

    assert selectors.category_get(kind="matter", code="06010").name == "暴露垃圾"
    withdrawn.refresh_from_db()
    assert withdrawn.retired_on == timezone.localdate()


def test_category_get_raises_not_found_for_an_unknown_code(directory: int) -> None:
    with pytest.raises(NotFound):
        selectors.category_get(kind="component", code="06010")


def test_category_local_add_takes_the_major_name_from_the_directory(directory: int) -> None:
    local = services.category_local_add(kind="matter", code="06081", name="违规晾晒被褥")

    assert local.is_local
    assert local.edition == "local"
    assert local.major_name == "市容环境类"


def test_category_local_add_needs_a_name_for_a_new_local_major(directory: int) -> None:
    with pytest.raises(ValidationFailed):
        services.category_local_add(kind="matter", code="21001", name="共享电单车乱停")

    local = services.category_local_add(
        kind="matter", code="21001", name="共享电单车乱停", major_name="地方特色事项"
    )

    assert local.major_code == "21"


@pytest.mark.parametrize(
    ("code", "error"), [("06012", ValidationFailed), ("15080", ValidationFailed)]
)
def test_category_local_add_refuses_national_range_and_unknown_majors(
    directory: int, code: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        services.category_local_add(kind="matter", code=code, name="某事项")


def test_category_local_add_never_reuses_a_retired_code(directory: int) -> None:
    local = services.category_local_add(kind="component", code="01080", name="智能井盖")
    services.category_retire(category=local)

    with pytest.raises(Conflict):
        services.category_local_add(kind="component", code="01080", name="另一种井盖")


def test_category_retire_stops_new_use_but_only_for_local_codes(directory: int) -> None:
    local = services.category_local_add(kind="component", code="03080", name="智能垃圾箱")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    services.category_retire(category=local, on=tomorrow)

    assert Category.objects.active().filter(pk=local.pk).exists()
    assert not Category.objects.active(on=tomorrow).filter(pk=local.pk).exists()
    with pytest.raises(ValidationFailed):
        services.category_retire(category=selectors.category_get(kind="component", code="01001"))


def test_database_refuses_a_local_row_in_the_national_range(directory: int) -> None:
    with pytest.raises(IntegrityError):
        Category.objects.create(
            kind="matter", code="06031", name="x", major_code="06", major_name="y",
            edition="local", is_local=True,
        )  # fmt: skip


def test_category_resolve_maps_a_legacy_matter_code_by_the_rule(directory: int) -> None:
    category = selectors.category_resolve(kind="matter", code="0110")

    assert (category.code, category.name) == ("06010", "暴露垃圾")


def test_category_resolve_refuses_a_legacy_matter_code_whose_target_was_withdrawn(
    directory: int,
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        selectors.category_resolve(kind="matter", code="0131")  # 06031 is a numbering gap

    assert "06031" in caught.value.message


def test_category_resolve_refuses_unmapped_legacy_component_codes(directory: int) -> None:
    with pytest.raises(ValidationFailed) as caught:
        selectors.category_resolve(kind="component", code="0101")

    assert caught.value.code == "legacy_code_unmapped"


def test_legacy_code_map_lets_a_city_map_component_codes_and_override_the_rule(
    directory: int,
) -> None:
    manhole = selectors.category_get(kind="component", code="01001")
    spoil = selectors.category_get(kind="matter", code="06011")
    services.legacy_code_map(kind="component", code="0101", category=manhole, note="上水井盖")
    services.legacy_code_map(kind="matter", code="0110", category=spoil)

    assert selectors.category_resolve(kind="component", code="0101") == manhole
    assert selectors.category_resolve(kind="matter", code="0110") == spoil


def test_legacy_code_map_refuses_a_category_of_the_other_kind(directory: int) -> None:
    with pytest.raises(ValidationFailed):
        services.legacy_code_map(
            kind="component",
            code="0101",
            category=selectors.category_get(kind="matter", code="01001"),
        )

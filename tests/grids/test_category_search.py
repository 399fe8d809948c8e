"""Category search as people type it on a phone: Chinese name, full pinyin, pinyin initials or
code; the keys stay right when names change, through save() and the directory loader."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from grids import selectors, services
from grids.models import Category


def codes(categories) -> set[str]:
    return {c.code for c in categories}


@pytest.mark.parametrize(
    "typed",
    ["供水井盖", "井盖", "gongshuijinggai", "jinggai", "GongShui JingGai", "gsjg", "GSJG", "01001"],
)
def test_category_search_finds_a_component_by_name_pinyin_initials_or_code(
    directory: int, typed: str
) -> None:
    found = selectors.category_list(kind="component", q=typed)

    assert "01001" in codes(found)
    assert found.get(code="01001").name == "供水井盖"


def test_category_search_by_initials_finds_exposed_garbage(directory: int) -> None:
    found = selectors.category_list(kind="matter", q="bllj")

    assert codes(found) == {"06010"}


def test_category_search_by_code_prefix_lists_the_major(directory: int) -> None:
    found = selectors.category_list(kind="matter", q="06")

    assert len(found) > 5
    assert all(code.startswith("06") for code in codes(found))


def test_category_search_with_no_match_finds_nothing(directory: int) -> None:
    assert not selectors.category_list(q="zzzzqx").exists()


def test_category_search_keys_follow_a_renamed_local_category(directory: int) -> None:
    local = services.category_local_add(kind="matter", code="06080", name="共享单车乱停")

    services.category_update(category=local, name="外卖餐盒散落")

    assert codes(selectors.category_list(q="wmch")) == {"06080"}
    assert not selectors.category_list(q="gxdclt").exists()


def test_directory_load_fills_search_keys_of_every_row(directory: int) -> None:
    Category.objects.update(search_keys="")

    services.category_directory_load()

    assert not Category.objects.filter(search_keys="").exists()
    assert selectors.category_list(kind="matter", q="baolulaji").get().code == "06010"


def test_categories_api_searches_by_pinyin_initials(directory: int, api: APIClient) -> None:
    response = api.get("/api/v1/categories/", {"kind": "component", "q": "gsjg"})

    assert response.status_code == 200
    assert "01001" in [row["code"] for row in response.json()["results"]]

"""The demo city: deterministic, idempotent, topologically clean, with a realistic mix."""

from __future__ import annotations

import io

import pytest

from gridcity.errors import ValidationFailed
from grids import demo
from grids.models import Area, Component, ComponentSerial, Grid
from grids.topology import grids_topology_check

SCALE = 0.02


def _snapshot() -> tuple:
    grids = tuple(Grid.objects.order_by("code").values_list("code", "area_m2"))
    components = tuple(
        (c.identifier, c.grid_code, c.geometry.wkt)
        for c in Component.objects.order_by("identifier").only(
            "identifier", "grid_code", "geometry"
        )
    )
    return grids, components


def _wipe() -> None:
    Component.objects.all().delete()
    ComponentSerial.objects.all().delete()
    Grid.objects.all().delete()
    for level in ("community", "street", "district"):
        Area.objects.filter(level=level).delete()


def test_plan_scales_the_counts() -> None:
    assert demo.plan(1) == {"streets": 6, "communities": 40, "grids": 2000, "components": 100_000}
    assert demo.plan(10)["components"] == 1_000_000
    assert demo.plan(SCALE)["streets"] == 1


def test_seed_builds_the_district_and_is_clean(directory: int) -> None:
    summary = demo.seed(scale=SCALE, stdout=io.StringIO())

    assert "市南区" in summary
    assert Area.objects.get(code="370202").name == "市南区"
    assert Area.objects.get(code="370202001").name == "八大关街道"
    assert 30 <= Grid.objects.current().count() <= 55
    assert Component.objects.count() == 2_000
    assert not Component.objects.filter(grid__isnull=True).exists()
    assert grids_topology_check(within="370202").ok


def test_seed_mixes_categories_realistically(directory: int) -> None:
    demo.seed(scale=SCALE, stdout=io.StringIO())

    total = Component.objects.count()
    trees = Component.objects.filter(category__code="04002").count()
    manholes = Component.objects.filter(category__major_code="01", name__endswith="井盖").count()
    assert 0.10 < trees / total < 0.20
    assert 0.35 < manholes / total < 0.55
    fences = Component.objects.filter(category__code__in=["02017", "04008"])
    greens = Component.objects.filter(category__code="04013")
    assert fences.exists() and {c.geometry.geom_type for c in fences} == {"LineString"}
    assert greens.exists() and {c.geometry.geom_type for c in greens} == {"Polygon"}


def test_seed_is_idempotent_and_refuses_another_scale(directory: int) -> None:
    demo.seed(scale=SCALE, stdout=io.StringIO())
    before = _snapshot()

    again = demo.seed(scale=SCALE, stdout=io.StringIO())

    assert "跳过" in again
    assert _snapshot() == before
    with pytest.raises(ValidationFailed):
        demo.seed(scale=1, stdout=io.StringIO())


def test_seed_is_deterministic(directory: int) -> None:
    demo.seed(scale=SCALE, stdout=io.StringIO())
    first = _snapshot()
    _wipe()

    demo.seed(scale=SCALE, stdout=io.StringIO())

    assert _snapshot() == first


def test_demo_units_carry_valid_credit_codes() -> None:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [pow(3, i, 31) for i in range(17)]
    for code, _name in demo.DEMO_UNITS.values():
        total = sum(chars.index(c) * w for c, w in zip(code[:17], weights, strict=True))
        assert chars[(31 - total % 31) % 31] == code[17]
        body = sum(int(c) * w for c, w in zip(code[8:16], (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
        assert code[16] == {10: "X", 11: "0"}.get(11 - body % 11, str(11 - body % 11))


@pytest.mark.parametrize(
    ("n", "text"), [(1, "一"), (10, "十"), (12, "十二"), (20, "二十"), (45, "四十五")]
)
def test_chinese_number_names_communities(n: int, text: str) -> None:
    assert demo.chinese_number(n) == text

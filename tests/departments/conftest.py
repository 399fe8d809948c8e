"""A small city of the departments tests' own: one district, two streets, two communities per
street, two grids per community (real square boundaries), a few directory categories, and the
street offices that answer for the streets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from departments.models import Department
from departments.services import roles_sync, working_time_defaults_load
from grids.models import Area, Category, Grid
from tests.factories.departments import DepartmentFactory

DISTRICT = "370202"
STREETS = ("370202001", "370202002")


@dataclass
class City:
    district: Area
    streets: list[Area]
    communities: list[Area]
    grids: list[Grid]
    offices: dict[str, Department]

    def grid(self, code: str) -> Grid:
        return next(grid for grid in self.grids if grid.code == code)


def _square(lon: float, lat: float, size: float = 0.001) -> MultiPolygon:
    ring = ((lon, lat), (lon + size, lat), (lon + size, lat + size), (lon, lat + size), (lon, lat))
    return MultiPolygon(Polygon(ring), srid=4326)


def category(kind: str, code: str, name: str, major_name: str = "") -> Category:
    row, _ = Category.objects.get_or_create(
        kind=kind,
        code=code,
        defaults={
            "name": name,
            "major_code": code[:2],
            "major_name": major_name or name,
            "edition": "GB/T 47678.5-2026",
        },
    )
    return row


def build_city() -> City:
    district, _ = Area.objects.get_or_create(
        code=DISTRICT, defaults={"level": "district", "name": "市南区"}
    )
    streets, communities, grids, offices = [], [], [], {}
    for s, street_code in enumerate(STREETS):
        street, _ = Area.objects.get_or_create(
            code=street_code,
            defaults={"level": "street", "name": f"街道{s + 1}", "parent": district},
        )
        streets.append(street)
        offices[street_code] = DepartmentFactory(
            name=f"街道{s + 1}办事处", kind=Department.Kind.STREET_OFFICE, area=street
        )
        for c in range(2):
            community, _ = Area.objects.get_or_create(
                code=f"{street_code}{c + 1:03d}",
                defaults={"level": "community", "name": f"社区{s + 1}-{c + 1}", "parent": street},
            )
            communities.append(community)
            for g in range(2):
                code = f"{community.code}{g + 1:03d}"
                grid, _ = Grid.objects.get_or_create(
                    code=code,
                    valid_to=None,
                    defaults={
                        "community": community,
                        "boundary": _square(120.38 + s * 0.01 + g * 0.001, 36.06 + c * 0.001),
                        "area_m2": 10000.0,
                        "valid_from": date(2020, 1, 1),
                    },
                )
                grids.append(grid)
    return City(district, streets, communities, grids, offices)


@pytest.fixture
def city(db) -> City:
    return build_city()


@pytest.fixture
def categories(db) -> dict[str, Category]:
    return {
        "exposed_garbage": category("matter", "06010", "暴露垃圾", "市容环境类"),
        "road_dirty": category("matter", "06012", "道路不洁", "市容环境类"),
        "vending": category("matter", "09006", "占道经营", "街面秩序类"),
        "manhole": category("component", "01001", "供水井盖", "市政公用设施"),
        "manhole_matter": category("matter", "01001", "供水井盖异常", "市政公用设施异常"),
        "lamp": category("component", "01037", "路灯", "市政公用设施"),
    }


@pytest.fixture
def defaults_loaded(db) -> None:
    """Duty hours, time limits and role groups, reloaded in case a flush removed them."""
    working_time_defaults_load()
    roles_sync()

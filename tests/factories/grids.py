"""Factories of the city model, and make_district(): a small district → street → community →
grid set with real square boundaries, for the tests of every app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import factory
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.utils import timezone

from gridcity.geo import WGS84, make_point
from grids import services
from grids.generator import metres_per_degree
from grids.models import Area, Category, Component, Grid
from grids.services.categories import DIRECTORY_EDITION
from grids.spatial import area_m2

ORIGIN = (120.38, 36.06)  # 市南区


def square(
    *, lon: float, lat: float, width_m: float, height_m: float | None = None
) -> MultiPolygon:
    """A MultiPolygon whose north-west corner is at (lon, lat), `width_m` × `height_m` metres."""
    per_lon, per_lat = metres_per_degree(lat)
    east = lon + width_m / per_lon
    south = lat - (height_m if height_m is not None else width_m) / per_lat
    ring = Polygon.from_bbox((lon, south, east, lat))
    return MultiPolygon(ring, srid=WGS84)


def _default_parent(level: str) -> Area | None:
    if level == Area.Level.DISTRICT:
        return None
    if level == Area.Level.STREET:
        return AreaFactory(level=Area.Level.DISTRICT, code="370202", name="市南区")
    return AreaFactory(level=Area.Level.STREET, code="370202001", name="八大关街道")


class AreaFactory(factory.django.DjangoModelFactory):
    """A community by default, under street 370202001 of district 370202 (made as needed);
    districts get codes 3702xx, streets and communities their parent's code + a sequence."""

    class Meta:
        model = Area
        django_get_or_create = ("code",)

    level = Area.Level.COMMUNITY
    parent = factory.LazyAttribute(lambda o: _default_parent(o.level))
    code = factory.LazyAttributeSequence(
        lambda o, n: (
            f"3702{n % 80 + 10:02d}" if o.parent is None else f"{o.parent.code}{n % 998 + 1:03d}"
        )
    )
    name = factory.Sequence(lambda n: f"测试区划{n}")
    boundary = None


class CategoryFactory(factory.django.DjangoModelFactory):
    """A directory row; by default 01001 供水井盖 (found, not duplicated, when loaded)."""

    class Meta:
        model = Category
        django_get_or_create = ("kind", "code")

    kind = Category.Kind.COMPONENT
    code = "01001"
    name = "供水井盖"
    major_code = factory.LazyAttribute(lambda o: o.code[:2])
    major_name = "市政公用设施"
    edition = DIRECTORY_EDITION
    is_local = False


class GridFactory(factory.django.DjangoModelFactory):
    """A 100 m square grid in force, inside a factory community unless given one."""

    class Meta:
        model = Grid

    community = factory.SubFactory(AreaFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.community.code}{n % 999 + 1:03d}")
    boundary = factory.LazyFunction(lambda: square(lon=ORIGIN[0], lat=ORIGIN[1], width_m=100))
    area_m2 = factory.LazyAttribute(lambda o: area_m2(o.boundary))
    grade = Grid.Grade.SECOND
    valid_from = factory.Faker("date_between", start_date="-3y", end_date="-1y")


class ComponentFactory(factory.django.DjangoModelFactory):
    """A component registered through the service: grid and identifier are derived."""

    class Meta:
        model = Component

    category = factory.SubFactory(CategoryFactory)
    geometry = factory.LazyFunction(
        lambda: make_point(lon=ORIGIN[0] + 0.0001, lat=ORIGIN[1] - 0.0001)
    )
    name = factory.LazyAttribute(lambda o: o.category.name)

    @classmethod
    def _create(cls, model_class: type[Component], *args: Any, **kwargs: Any) -> Component:
        kwargs.setdefault("allow_outside", True)
        kwargs.setdefault("district_code", "370202")
        return services.component_create(**kwargs)


@dataclass
class District:
    """What make_district built; grids are listed row by row, north-west first."""

    district: Area
    streets: list[Area] = field(default_factory=list)
    communities: list[Area] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)

    def grids_of(self, community: Area) -> list[Grid]:
        return [g for g in self.grids if g.community_id == community.pk]


def _box(west: float, south: float, east: float, north: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((west, south, east, north)), srid=WGS84)


def make_district(
    *,
    code: str = "370202",
    name: str = "市南区",
    streets: int = 1,
    communities_per_street: int = 2,
    grid_rows: int = 2,
    grid_cols: int = 2,
    cell_m: float = 100.0,
    origin: tuple[float, float] = ORIGIN,
    valid_from: date | None = None,
) -> District:
    """A district of `streets` × `communities_per_street` communities laid west to east, each cut
    into grid_rows × grid_cols square grids of `cell_m` metres, all through the services (so
    codes, areas and versions follow the real rules). Grid codes run west→east, north→south;
    grids are in force from `valid_from` (a year ago by default, so they can be replaced)."""
    valid_from = valid_from or timezone.localdate() - timedelta(days=365)
    per_lon, per_lat = metres_per_degree(origin[1])
    columns = streets * communities_per_street * grid_cols
    # Every lattice line is computed once, so neighbours share their edges exactly.
    xs = [origin[0] + i * cell_m / per_lon for i in range(columns + 1)]
    ys = [origin[1] - j * cell_m / per_lat for j in range(grid_rows + 1)]
    district = services.area_create(
        code=code, name=name, boundary=_box(xs[0], ys[-1], xs[-1], ys[0])
    )
    result = District(district=district)
    per_street = communities_per_street * grid_cols
    for s in range(streets):
        street = services.area_create(
            code=f"{code}{s + 1:03d}",
            name=f"测试街道{s + 1}",
            boundary=_box(xs[s * per_street], ys[-1], xs[(s + 1) * per_street], ys[0]),
        )
        result.streets.append(street)
        for c in range(communities_per_street):
            first = s * per_street + c * grid_cols
            community = services.area_create(
                code=f"{street.code}{c + 1:03d}",
                name=f"测试社区{s + 1}-{c + 1}",
                boundary=_box(xs[first], ys[-1], xs[first + grid_cols], ys[0]),
            )
            result.communities.append(community)
            for r in range(grid_rows):
                for k in range(grid_cols):
                    result.grids.append(
                        services.grid_create(
                            code=f"{community.code}{r * grid_cols + k + 1:03d}",
                            community=community,
                            boundary=_box(xs[first + k], ys[r + 1], xs[first + k + 1], ys[r]),
                            valid_from=valid_from,
                        )
                    )
    return result

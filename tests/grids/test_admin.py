"""The admin: lists stay usable at scale, maps edit geometries, saves go through the services."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from gridcity.geo import make_point
from grids import selectors
from grids.models import Area, Category, Component, Grid
from tests.factories.grids import ORIGIN, ComponentFactory, District, square

MAP_WIDGET = "leaflet"


@pytest.mark.parametrize("model", ["area", "grid", "category", "component", "legacycategorycode"])
def test_admin_changelists_render(district: District, admin_client: Client, model: str) -> None:
    ComponentFactory()

    response = admin_client.get(reverse(f"admin:grids_{model}_changelist"), {"q": "3702"})

    assert response.status_code == 200


@pytest.mark.parametrize("model", ["area", "grid", "component"])
def test_admin_change_pages_show_the_map_widget(
    district: District, admin_client: Client, model: str
) -> None:
    instance = {
        "area": lambda: district.communities[0],
        "grid": lambda: district.grids[0],
        "component": lambda: ComponentFactory(),
    }[model]()

    response = admin_client.get(reverse(f"admin:grids_{model}_change", args=[instance.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert MAP_WIDGET in content and "leaflet/leaflet.js" in content
    assert "djoptions" in content or "loadmap" in content


def test_admin_component_list_filters_by_major(district: District, admin_client: Client) -> None:
    ComponentFactory()

    response = admin_client.get(reverse("admin:grids_component_changelist"), {"major": "01"})

    assert "370202010010000" in response.content.decode()


def test_admin_adds_a_component_through_the_service(
    district: District, admin_client: Client
) -> None:
    here = make_point(lon=ORIGIN[0] + 0.0002, lat=ORIGIN[1] - 0.0002)
    category = selectors.category_get(kind="component", code="01037")

    response = admin_client.post(
        reverse("admin:grids_component_add"),
        {
            "category": category.pk, "geometry": here.geojson, "identifier": "", "name": "路灯",
            "status": "intact", "data_source": "surveyed", "remarks": "",
            "supervising_unit_code": "", "supervising_unit_name": "", "owner_unit_code": "",
            "owner_unit_name": "", "maintenance_unit_code": "", "maintenance_unit_name": "",
        },
    )  # fmt: skip

    assert response.status_code == 302, response.content.decode()[:2000]
    component = Component.objects.get()
    assert component.identifier == "37020201037000001"
    assert component.grid == district.grids[0]


def test_admin_shows_a_service_error_on_the_form(district: District, admin_client: Client) -> None:
    category = selectors.category_get(kind="component", code="01037")

    response = admin_client.post(
        reverse("admin:grids_component_add"),
        {
            "category": category.pk, "geometry": make_point(lon=121.9, lat=37.5).geojson,
            "identifier": "", "name": "", "status": "intact", "data_source": "surveyed",
        },
    )  # fmt: skip

    assert response.status_code == 200
    assert "不在任何现行单元网格内" in response.content.decode()
    assert not Component.objects.exists()


def test_admin_editing_a_grid_boundary_creates_a_new_version(
    district: District, admin_client: Client
) -> None:
    grid = district.grids[0]
    smaller = square(lon=ORIGIN[0], lat=ORIGIN[1], width_m=60)

    response = admin_client.post(
        reverse("admin:grids_grid_change", args=[grid.pk]),
        {"boundary": smaller.geojson, "grade": grid.grade},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    versions = list(Grid.objects.filter(code=grid.code).order_by("valid_from"))
    assert len(versions) == 2
    assert versions[0].valid_to == versions[1].valid_from
    assert versions[1].area_m2 == pytest.approx(3_600, rel=1e-3)


def test_admin_adds_a_local_category(directory: int, admin_client: Client) -> None:
    response = admin_client.post(
        reverse("admin:grids_category_add"),
        {"kind": "matter", "code": "06081", "name": "违规晾晒", "name_en": "", "major_name": ""},
    )

    assert response.status_code == 302
    assert Category.objects.get(kind="matter", code="06081").is_local


def test_admin_community_autocomplete_offers_communities_only(
    district: District, admin_client: Client
) -> None:
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "grids", "model_name": "grid", "field_name": "community", "term": "3702"},
    )

    ids = {int(r["id"]) for r in json.loads(response.content)["results"]}
    assert ids == {a.pk for a in Area.objects.communities()}

"""The admin pages of the departments app open for an administrator, and saving there runs the
same validation as the services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from departments.models import ResponsibilityRule
from departments.roles import Role
from tests.factories.departments import DepartmentFactory, person_with_roles

MODELS = [
    "department",
    "person",
    "patrolassignment",
    "responsibilityrule",
    "dutyperiod",
    "calendarday",
    "calendaryear",
    "timelimit",
    "notice",
    "notificationpreference",
    "delivery",
]


@pytest.fixture
def admin_browser(client, defaults_loaded):
    admin = person_with_roles(Role.ADMINISTRATOR)
    admin.is_staff = True
    admin.save()
    client.force_login(admin)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_admin_changelist_and_add_pages_open(admin_browser, model):
    listing = admin_browser.get(reverse(f"admin:departments_{model}_changelist"))

    assert listing.status_code == 200
    if model != "delivery":
        assert admin_browser.get(reverse(f"admin:departments_{model}_add")).status_code == 200


def test_admin_refuses_a_rule_with_an_unknown_area(admin_browser, city):
    lead = DepartmentFactory()

    response = admin_browser.post(
        reverse("admin:departments_responsibilityrule_add"),
        {"priority": 1, "area_code": "370299001", "unit_role": "any", "lead": lead.pk},
    )

    assert response.status_code == 200
    assert "370299001" in response.content.decode()
    assert not ResponsibilityRule.objects.exists()


def test_admin_refuses_a_department_with_a_wrong_check_character(admin_browser):
    response = admin_browser.post(
        reverse("admin:departments_department_add"),
        {"name": "坏代码", "kind": "professional", "credit_code": "91350100M000100Y44"},
    )

    assert response.status_code == 200
    assert "校验位" in response.content.decode()

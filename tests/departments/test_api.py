"""The departments API: reads for everyone signed in, writes and the dry run for
administrators, domain errors as {code, message}."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from departments.codes import credit_code_make
from departments.models import ResponsibilityRule
from departments.roles import Role
from departments.routing import RoutingItem, _sources, routing_item_source_register
from departments.services import rule_create
from tests.factories.departments import DepartmentFactory, person_with_roles


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def admin_client(defaults_loaded):
    return client_for(person_with_roles(Role.ADMINISTRATOR))


@pytest.fixture
def dispatcher_client(db):
    return client_for(person_with_roles(Role.DISPATCHER))


def test_departments_list_needs_login(db):
    assert APIClient().get("/api/v1/departments/").status_code == 403


def test_departments_create_by_administrator_validates_credit_code(admin_client, city):
    good = credit_code_make(registration="12", region="370202", serial="20000001")

    created = admin_client.post(
        "/api/v1/departments/",
        {"name": "园林所", "kind": "professional", "credit_code": good},
        format="json",
    )
    bad = admin_client.post(
        "/api/v1/departments/",
        {"name": "坏代码", "kind": "professional", "credit_code": good[:17] + "Z"},
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["credit_code"] == good
    assert bad.status_code == 400
    assert "统一社会信用代码" in bad.json()["message"]


def test_departments_patch_is_refused_to_a_dispatcher(dispatcher_client, db):
    dept = DepartmentFactory()

    response = dispatcher_client.patch(f"/api/v1/departments/{dept.pk}/", {"name": "x"})

    assert response.status_code == 403


def test_rules_create_patch_and_list(admin_client, dispatcher_client, city, categories):
    sanitation = DepartmentFactory(name="环卫所")
    helper = DepartmentFactory(name="执法队")

    created = admin_client.post(
        "/api/v1/responsibility-rules/",
        {
            "priority": 5,
            "kind": "matter",
            "category_code": "06010",
            "area_code": "370202001",
            "lead": sanitation.pk,
            "assisting": [helper.pk],
        },
        format="json",
    )
    rule_id = created.json()["id"]
    patched = admin_client.patch(
        f"/api/v1/responsibility-rules/{rule_id}/", {"priority": 7}, format="json"
    )
    listed = dispatcher_client.get("/api/v1/responsibility-rules/")

    assert created.status_code == 201, created.json()
    assert created.json()["assisting"][0]["name"] == "执法队"
    assert patched.json()["priority"] == 7
    assert patched.json()["assisting"][0]["id"] == helper.pk
    assert listed.json()["results"][0]["id"] == rule_id


def test_rules_create_with_unknown_area_answers_400_with_the_code(admin_client, city):
    lead = DepartmentFactory()

    response = admin_client.post(
        "/api/v1/responsibility-rules/",
        {"priority": 1, "area_code": "370299001", "lead": lead.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "370299001" in response.json()["message"]
    assert not ResponsibilityRule.objects.exists()


def test_rules_create_is_refused_to_a_dispatcher(dispatcher_client, db):
    lead = DepartmentFactory()

    response = dispatcher_client.post(
        "/api/v1/responsibility-rules/", {"priority": 1, "lead": lead.pk}, format="json"
    )

    assert response.status_code == 403


def test_rules_dry_run_lists_registered_cases_that_would_move(admin_client, city, categories):
    sanitation = DepartmentFactory(name="环卫所")
    enforcement = DepartmentFactory(name="执法局")
    rule = rule_create(actor=None, priority=10, category_code="06", lead=sanitation)
    garbage = categories["exposed_garbage"]
    items = [
        RoutingItem("2026-0001", garbage, city.grid("370202001001001"), None, sanitation),
        RoutingItem("2026-0002", garbage, city.grid("370202002001001"), None, sanitation),
    ]

    def source():
        return items

    routing_item_source_register(source)
    try:
        response = admin_client.post(
            "/api/v1/responsibility-rules/dry-run/",
            {
                "rule": {
                    "priority": 10,
                    "category_code": "06",
                    "area_code": "370202002",
                    "lead": enforcement.pk,
                },
                "replaces": rule.pk,
            },
            format="json",
        )
    finally:
        _sources.remove(source)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert [row["key"] for row in body] == ["2026-0001", "2026-0002"]
    assert body[0]["proposed"]["rule"] is None
    assert body[1]["proposed"]["lead"]["name"] == "执法局"
    assert ResponsibilityRule.objects.count() == 1


def test_rules_evaluate_answers_lead_and_reason(dispatcher_client, city, categories):
    response = dispatcher_client.post(
        "/api/v1/responsibility-rules/evaluate/",
        {"kind": "matter", "category_code": "06010", "grid_code": "370202002001001"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["lead"]["name"] == "街道2办事处"
    assert "属地兜底" in response.json()["reason"]


def test_time_limits_list_and_admin_patch(admin_client, dispatcher_client, defaults_loaded):
    listed = dispatcher_client.get("/api/v1/time-limits/?step=verify")
    row = listed.json()["results"][0]

    patched = admin_client.patch(f"/api/v1/time-limits/{row['id']}/", {"amount": 45})
    refused = dispatcher_client.patch(f"/api/v1/time-limits/{row['id']}/", {"amount": 5})

    assert row["amount"] == 30
    assert patched.json()["amount"] == 45
    assert refused.status_code == 403


def test_time_limits_create_rejects_a_zero_amount(admin_client):
    response = admin_client.post(
        "/api/v1/time-limits/",
        {"step": "verify", "urgency": "urgent", "amount": 0, "unit": "working_minutes"},
        format="json",
    )

    assert response.status_code == 400

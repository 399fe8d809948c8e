"""Responsibility rules: matching by kind, category, each area level and unit code; first match
wins; the territorial fallback at each level; validation; and the dry run."""

from __future__ import annotations

import pytest

from departments.codes import credit_code_make
from departments.models import Department, ResponsibilityRule
from departments.roles import Role
from departments.routing import RoutingItem, _sources, routing_item_source_register
from departments.services import (
    responsibility_dry_run,
    responsibility_evaluate,
    rule_create,
    rule_update,
)
from gridcity.errors import NotPermitted, ValidationFailed
from grids.models import Component
from tests.factories.departments import DepartmentFactory, person_with_roles

OWNER = credit_code_make(registration="91", region="370202", serial="55500001")
MAINTAINER = credit_code_make(registration="91", region="370202", serial="55500002")


@pytest.fixture
def depts(db):
    return {
        "sanitation": DepartmentFactory(name="市南区环卫所"),
        "municipal": DepartmentFactory(name="市政公司"),
        "enforcement": DepartmentFactory(name="城管执法局"),
        "water": DepartmentFactory(name="供水公司", credit_code=OWNER),
    }


def component(category, *, owner="", maintainer="") -> Component:
    # Routing reads only the category and unit codes: an unsaved component is enough.
    return Component(category=category, owner_unit_code=owner, maintenance_unit_code=maintainer)


def test_rule_matching_category_and_street_names_lead_and_reason(city, categories, depts):
    rule = rule_create(
        actor=None,
        priority=10,
        kind="matter",
        category_code="06010",
        area_code="370202001",
        lead=depts["sanitation"],
    )

    routing = responsibility_evaluate(
        category=categories["exposed_garbage"], grid=city.grid("370202001001001")
    )

    assert routing.lead == depts["sanitation"]
    assert routing.rule == rule
    assert routing.assisting == ()
    assert routing.reason == f"规则 {rule.pk}：06010 暴露垃圾，街道 370202001 → 市南区环卫所"


@pytest.mark.parametrize(
    ("area_code", "inside", "outside", "level"),
    [
        ("370202", "370202002002002", None, "区县"),
        ("370202001", "370202001002001", "370202002001001", "街道"),
        ("370202001002", "370202001002002", "370202001001001", "社区"),
        ("370202001002002", "370202001002002", "370202001002001", "网格"),
    ],
)
def test_rule_matches_at_each_area_level_and_falls_back_outside(
    city, categories, depts, area_code, inside, outside, level
):
    rule = rule_create(actor=None, priority=1, area_code=area_code, lead=depts["enforcement"])

    hit = responsibility_evaluate(category=categories["vending"], grid=city.grid(inside))

    assert hit.rule == rule
    assert f"{level} {area_code}" in hit.reason
    if outside is not None:
        miss = responsibility_evaluate(category=categories["vending"], grid=city.grid(outside))
        assert miss.rule is None
        assert miss.lead == city.offices[outside[:9]]
        assert "属地兜底" in miss.reason
        assert outside[:9] in miss.reason


def test_fallback_goes_to_the_street_office_of_the_grid_street(city, categories):
    for grid in city.grids:
        routing = responsibility_evaluate(category=categories["road_dirty"], grid=grid)

        assert routing.rule is None
        assert routing.lead == city.offices[grid.code[:9]]
        assert routing.lead.kind == Department.Kind.STREET_OFFICE


def test_fallback_without_a_street_office_is_a_clear_error(city, categories):
    office = city.offices["370202002"]
    office.is_active = False
    office.save()

    with pytest.raises(ValidationFailed) as caught:
        responsibility_evaluate(category=categories["vending"], grid=city.grid("370202002001001"))

    assert caught.value.code == "no_responsible_unit"


def test_first_match_wins_by_priority_then_age(city, categories, depts):
    rule_create(actor=None, priority=20, category_code="06", lead=depts["enforcement"])
    first = rule_create(actor=None, priority=5, category_code="06010", lead=depts["sanitation"])
    rule_create(actor=None, priority=5, category_code="06", lead=depts["municipal"])

    routing = responsibility_evaluate(category=categories["exposed_garbage"], grid=city.grids[0])
    other = responsibility_evaluate(category=categories["road_dirty"], grid=city.grids[0])

    assert routing.rule == first
    assert other.lead == depts["municipal"]


def test_major_code_matches_every_minor_of_the_major_and_kind_separates(city, categories, depts):
    rule_create(
        actor=None, priority=1, kind="component", category_code="01", lead=depts["municipal"]
    )

    lamp = responsibility_evaluate(category=categories["lamp"], grid=city.grids[0])
    cover_matter = responsibility_evaluate(
        category=categories["manhole_matter"], grid=city.grids[0]
    )

    assert lamp.lead == depts["municipal"]
    assert cover_matter.rule is None


def test_unit_code_rules_route_components_to_their_owner_or_maintainer(city, categories, depts):
    owner_rule = rule_create(
        actor=None,
        priority=1,
        unit_code=OWNER,
        unit_role=ResponsibilityRule.UnitRole.OWNER,
        lead=depts["water"],
    )
    rule_create(
        actor=None,
        priority=2,
        unit_code=MAINTAINER,
        unit_role=ResponsibilityRule.UnitRole.MAINTENANCE,
        lead=depts["municipal"],
    )
    grid = city.grids[0]

    owned = responsibility_evaluate(
        category=categories["manhole"],
        grid=grid,
        component=component(categories["manhole"], owner=OWNER),
    )
    maintained = responsibility_evaluate(
        category=categories["manhole"],
        grid=grid,
        component=component(categories["manhole"], owner=MAINTAINER, maintainer=MAINTAINER),
    )
    wrong_role = responsibility_evaluate(
        category=categories["manhole"],
        grid=grid,
        component=component(categories["manhole"], maintainer=OWNER),
    )
    no_component = responsibility_evaluate(category=categories["manhole"], grid=grid)

    assert owned.rule == owner_rule
    assert OWNER in owned.reason
    assert maintained.lead == depts["municipal"]
    assert wrong_role.rule is None
    assert no_component.rule is None


def test_assisting_departments_come_with_the_lead(city, categories, depts):
    rule_create(
        actor=None,
        priority=1,
        category_code="09006",
        lead=depts["enforcement"],
        assisting=[depts["sanitation"], city.offices["370202001"]],
    )

    routing = responsibility_evaluate(category=categories["vending"], grid=city.grids[0])

    assert routing.lead == depts["enforcement"]
    assert set(routing.assisting) == {depts["sanitation"], city.offices["370202001"]}


def test_inactive_rules_and_inactive_leads_are_skipped(city, categories, depts):
    rule = rule_create(actor=None, priority=1, category_code="06010", lead=depts["sanitation"])
    backup = rule_create(actor=None, priority=2, category_code="06010", lead=depts["municipal"])
    rule_update(actor=None, rule=rule, is_active=False)

    assert (
        responsibility_evaluate(category=categories["exposed_garbage"], grid=city.grids[0]).rule
        == backup
    )

    Department.objects.filter(pk=depts["municipal"].pk).update(is_active=False)

    assert (
        responsibility_evaluate(category=categories["exposed_garbage"], grid=city.grids[0]).rule
        is None
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"category_code": "06999"}, "06999"),
        ({"kind": "component", "category_code": "06010"}, "06010"),
        ({"area_code": "370202009"}, "370202009"),
        ({"area_code": "3702"}, "区域编码"),
        ({"unit_code": OWNER[:17] + ("0" if OWNER[17] != "0" else "1")}, "校验位"),
    ],
)
def test_rule_create_rejects_bad_codes_with_a_message(city, categories, depts, fields, message):
    with pytest.raises(ValidationFailed) as caught:
        rule_create(actor=None, priority=1, lead=depts["sanitation"], **fields)

    assert message in caught.value.message
    assert not ResponsibilityRule.objects.exists()


def test_rule_create_rejects_lead_as_assisting_and_non_administrators(city, depts):
    with pytest.raises(ValidationFailed):
        rule_create(
            actor=None, priority=1, lead=depts["sanitation"], assisting=[depts["sanitation"]]
        )
    with pytest.raises(NotPermitted):
        rule_create(actor=person_with_roles(Role.DISPATCHER), priority=1, lead=depts["sanitation"])


# ---------------------------------------------------------------- dry run
@pytest.fixture
def open_cases(city, categories, depts):
    rule_create(actor=None, priority=10, category_code="06", lead=depts["sanitation"])
    garbage, vending = categories["exposed_garbage"], categories["vending"]
    return [
        RoutingItem("C1", garbage, city.grid("370202001001001"), None, depts["sanitation"]),
        RoutingItem("C2", garbage, city.grid("370202002001001"), None, depts["sanitation"]),
        RoutingItem("C3", vending, city.grid("370202001001001"), None, city.offices["370202001"]),
        RoutingItem("C4", vending, city.grid("370202002001002"), None, city.offices["370202002"]),
    ]


def test_dry_run_of_a_new_rule_lists_only_cases_that_would_move(open_cases, depts):
    draft = ResponsibilityRule(
        priority=1, category_code="09", area_code="370202002", lead=depts["enforcement"]
    )

    changes = responsibility_dry_run(draft=draft, items=open_cases)

    assert [change.item.key for change in changes] == ["C4"]
    assert changes[0].routing.lead == depts["enforcement"]
    assert "草案" in changes[0].routing.reason
    assert not ResponsibilityRule.objects.filter(category_code="09").exists()


def test_dry_run_of_an_edited_rule_compares_against_its_replacement(open_cases, depts):
    existing = ResponsibilityRule.objects.get(category_code="06")
    draft = ResponsibilityRule(
        priority=10, category_code="06", area_code="370202001", lead=depts["sanitation"]
    )

    changes = responsibility_dry_run(draft=draft, replaces=existing, items=open_cases)

    assert [(c.item.key, c.routing.rule) for c in changes] == [("C2", None)]


def test_dry_run_of_removing_a_rule_sends_its_cases_to_the_street_offices(open_cases, city):
    existing = ResponsibilityRule.objects.get(category_code="06")

    changes = responsibility_dry_run(removes=existing, items=open_cases)

    assert {c.item.key: c.routing.lead for c in changes} == {
        "C1": city.offices["370202001"],
        "C2": city.offices["370202002"],
    }


def test_dry_run_rejects_an_invalid_draft(open_cases, depts):
    with pytest.raises(ValidationFailed):
        responsibility_dry_run(
            draft=ResponsibilityRule(priority=1, area_code="999999", lead=depts["municipal"]),
            items=open_cases,
        )


def test_dry_run_reads_cases_from_the_registered_source(open_cases, depts):
    def source():
        return open_cases

    routing_item_source_register(source)
    routing_item_source_register(source)
    try:
        changes = responsibility_dry_run(
            draft=ResponsibilityRule(priority=1, category_code="06010", lead=depts["municipal"])
        )
    finally:
        _sources.remove(source)

    assert [c.item.key for c in changes] == ["C1", "C2"]

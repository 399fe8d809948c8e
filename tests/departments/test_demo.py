"""The demo organisation: every directory category routes by a rule to one lead department,
every role has an account, every grid has an inspector, and seeding twice changes nothing."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from departments import demo
from departments.calendar import national_knows_year
from departments.models import CalendarDay, Department, ResponsibilityRule
from departments.roles import Role
from departments.routing import RuleSet
from departments.selectors import grids_without_inspector, user_scope, users_with_role
from grids.models import Category

User = get_user_model()


@pytest.fixture
def seeded(city):
    from grids.services import category_directory_load

    category_directory_load()
    out = io.StringIO()
    summary = demo.seed(scale=0.01, stdout=out)
    return summary, out.getvalue()


def test_demo_routes_every_directory_category_by_a_rule(seeded, city):
    rules = RuleSet.from_db()
    categories = list(Category.objects.filter(is_local=False))
    assert len(categories) >= 403

    unrouted = []
    for category in categories:
        for grid in (city.grids[0], city.grids[-1]):
            routing = rules.route(category=category, grid=grid)
            if routing.rule is None or not isinstance(routing.lead, Department):
                unrouted.append((category.kind, category.code, grid.code))

    assert unrouted == []


def test_demo_vending_is_led_by_the_street_office_with_enforcement_assisting(seeded, city):
    vending = Category.objects.get(kind="matter", code="09006")

    routing = RuleSet.from_db().route(category=vending, grid=city.grid("370202002001001"))

    assert routing.lead == city.offices["370202002"]
    assert [dept.name for dept in routing.assisting] == ["市南区城市管理综合执法大队"]


def test_demo_has_an_account_for_every_role_with_the_shared_password(seeded):
    _summary, printed = seeded

    for role in Role:
        assert users_with_role(role=role).exists(), role
    dispatcher = User.objects.get(username="dispatcher")
    assert dispatcher.check_password("gridcity-demo")
    assert "gridcity-demo" in printed and "handler_sanitation" in printed
    assert user_scope(user=User.objects.get(username="operator")).sees_all
    assert User.objects.get(username="admin").is_staff


def test_demo_inspectors_patrol_every_grid(seeded, city):
    assert list(grids_without_inspector(on=timezone.localdate())) == []
    inspector = User.objects.get(username="inspector1")
    assert 0 < len(user_scope(user=inspector).patrol_grid_ids) <= demo.GRIDS_PER_INSPECTOR


def test_demo_enters_next_year_when_the_library_does_not_know_it(seeded):
    next_year = timezone.localdate().year + 1
    local = CalendarDay.objects.filter(date__year=next_year)

    if national_knows_year(next_year):
        assert not local.exists()
    else:
        assert local.filter(note__contains="国庆节").exists()
        assert not local.filter(is_working_day=True).exists()


def test_demo_seed_is_idempotent(seeded):
    rules = ResponsibilityRule.objects.count()
    users = User.objects.count()
    days = CalendarDay.objects.count()

    summary = demo.seed(scale=0.01, stdout=io.StringIO())

    assert (ResponsibilityRule.objects.count(), User.objects.count()) == (rules, users)
    assert CalendarDay.objects.count() == days
    assert " 0 rules" in summary

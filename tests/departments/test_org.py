"""Departments with valid credit codes, people in departments, and patrol areas with history."""

from __future__ import annotations

from datetime import date

import pytest

from departments.codes import credit_code_make, credit_code_problem
from departments.models import Department, PatrolAssignment
from departments.roles import Role
from departments.selectors import grids_patrolled_by, grids_without_inspector, inspectors_for_grid
from departments.services import (
    department_create,
    department_update,
    patrol_assign,
    patrol_end,
    person_set,
)
from gridcity.errors import NotPermitted, ValidationFailed
from tests.factories.departments import DepartmentFactory, person_with_roles


@pytest.mark.parametrize("code", ["91350100M000100Y43", "911100001000080343"])
def test_credit_code_check_character_accepts_real_codes(code):
    assert credit_code_problem(code) is None


def test_credit_code_make_builds_codes_that_validate():
    codes = [
        credit_code_make(registration="12", region="370202", serial=f"{n:08d}") for n in range(50)
    ]

    assert [credit_code_problem(code) for code in codes] == [None] * 50


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("91350100M000100Y4", "18 位"),
        ("91350100M000100I43", "大写字母"),
        ("91350100M000100Y44", "校验位错误：应为 3"),
    ],
)
def test_credit_code_problems_are_named(code, words):
    assert words in credit_code_problem(code)


def test_department_create_validates_the_credit_code_and_writes_nothing(db):
    with pytest.raises(ValidationFailed) as caught:
        department_create(
            actor=None, name="环卫所", kind="professional", credit_code="91350100M000100Y44"
        )

    assert "校验位" in caught.value.message
    assert not Department.objects.filter(name="环卫所").exists()


def test_department_create_normalises_and_stores(db):
    code = credit_code_make(registration="12", region="370202", serial="12345678").lower()

    dept = department_create(actor=None, name="环卫所", kind="professional", credit_code=code)

    assert dept.credit_code == code.upper()


def test_street_office_needs_a_street(city):
    with pytest.raises(ValidationFailed):
        department_create(
            actor=None,
            name="没有街道的办事处",
            kind="street_office",
            credit_code=credit_code_make(registration="11", region="370202", serial="99999999"),
            area=city.communities[0],
        )


def test_department_update_refuses_a_parent_loop_and_non_administrators(db):
    bureau = DepartmentFactory()
    station = DepartmentFactory(parent=bureau)

    with pytest.raises(ValidationFailed):
        department_update(actor=None, department=bureau, parent=station)
    with pytest.raises(NotPermitted):
        department_update(actor=person_with_roles(Role.HANDLER), department=bureau, name="x")


def test_person_set_moves_a_person_but_not_into_an_inactive_department(db):
    user = person_with_roles(Role.HANDLER)
    target = DepartmentFactory()
    closed = DepartmentFactory(is_active=False)

    person_set(user=user, department=target)

    user.person.refresh_from_db()
    assert user.person.department == target
    with pytest.raises(ValidationFailed):
        person_set(user=user, department=closed)


def test_patrol_history_answers_who_patrolled_a_grid_on_a_day(city):
    first = person_with_roles(Role.INSPECTOR)
    second = person_with_roles(Role.INSPECTOR)
    grid = city.grids[0]
    patrol_assign(actor=None, inspector=first, grids=[grid], valid_from=date(2026, 1, 1))

    patrol_assign(actor=None, inspector=second, grids=[grid], valid_from=date(2026, 7, 1))

    assert list(inspectors_for_grid(grid=grid, on=date(2026, 6, 30))) == [first]
    assert list(inspectors_for_grid(grid=grid, on=date(2026, 7, 1))) == [second]
    assert list(inspectors_for_grid(grid=grid, on=date(2025, 12, 31))) == []
    handed = PatrolAssignment.objects.get(inspector=first)
    assert handed.valid_to == date(2026, 7, 1)


def test_patrol_assign_without_handover_keeps_both_inspectors(city):
    first = person_with_roles(Role.INSPECTOR)
    second = person_with_roles(Role.INSPECTOR)
    grid = city.grids[0]
    patrol_assign(actor=None, inspector=first, grids=[grid], valid_from=date(2026, 1, 1))

    patrol_assign(
        actor=None, inspector=second, grids=[grid], valid_from=date(2026, 2, 1), handover=False
    )

    assert set(inspectors_for_grid(grid=grid, on=date(2026, 3, 1))) == {first, second}


def test_patrol_assign_is_idempotent_and_only_for_inspectors(city):
    inspector = person_with_roles(Role.INSPECTOR)
    patrol_assign(
        actor=None, inspector=inspector, grids=city.grids[:2], valid_from=date(2026, 1, 1)
    )

    again = patrol_assign(
        actor=None, inspector=inspector, grids=city.grids[:3], valid_from=date(2026, 2, 1)
    )

    assert [row.grid for row in again] == [city.grids[2]]
    with pytest.raises(ValidationFailed) as caught:
        patrol_assign(
            actor=None,
            inspector=person_with_roles(Role.HANDLER),
            grids=city.grids[:1],
            valid_from=date(2026, 1, 1),
        )
    assert caught.value.code == "not_an_inspector"


def test_grids_without_inspector_is_the_gap_list(city):
    inspector = person_with_roles(Role.INSPECTOR)
    patrol_assign(
        actor=None, inspector=inspector, grids=city.grids[:6], valid_from=date(2026, 1, 1)
    )
    patrol_end(actor=None, inspector=inspector, grids=city.grids[5:6], valid_to=date(2026, 5, 1))

    gaps = grids_without_inspector(on=date(2026, 6, 1))
    street_gaps = grids_without_inspector(on=date(2026, 6, 1), area_code="370202001")

    assert list(gaps) == city.grids[5:]
    assert list(street_gaps) == []
    assert list(grids_without_inspector(on=date(2026, 4, 1))) == city.grids[6:]
    assert list(grids_patrolled_by(inspector=inspector, on=date(2026, 6, 1))) == city.grids[:5]

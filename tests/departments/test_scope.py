"""The one scoping selector, for every role; and role assignment through the service."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from departments.models import Department
from departments.roles import Role
from departments.selectors import user_scope, users_with_role
from departments.services import patrol_assign, patrol_end, person_set, roles_set
from gridcity.errors import NotPermitted, ValidationFailed
from tests.factories.departments import DepartmentFactory, UserFactory, person_with_roles

TODAY = date(2026, 11, 23)


def test_scope_inspector_sees_only_the_grids_patrolled_today(city):
    inspector = person_with_roles(Role.INSPECTOR)
    other = person_with_roles(Role.INSPECTOR)
    patrol_assign(
        actor=None, inspector=inspector, grids=city.grids[:3], valid_from=date(2026, 1, 1)
    )
    patrol_end(actor=None, inspector=inspector, grids=city.grids[2:3], valid_to=date(2026, 6, 1))
    patrol_assign(actor=None, inspector=other, grids=city.grids[5:6], valid_from=date(2026, 1, 1))

    scope = user_scope(user=inspector, on=TODAY)

    assert scope.roles == {Role.INSPECTOR}
    assert scope.patrol_grid_ids == {city.grids[0].pk, city.grids[1].pk}
    assert not scope.sees_all
    assert not scope.sees_all_areas
    assert scope.department_ids == {inspector.person.department_id}
    assert user_scope(user=inspector, on=date(2026, 3, 1)).patrol_grid_ids == {
        g.pk for g in city.grids[:3]
    }


@pytest.mark.parametrize("role", [Role.ACCEPTOR, Role.SHIFT_LEADER, Role.DISPATCHER])
def test_scope_command_centre_roles_see_everything(db, role):
    user = person_with_roles(role)

    scope = user_scope(user=user)

    assert scope.sees_all
    assert scope.sees_all_areas
    assert scope.has(role)
    assert scope.covers_area_code("370202001001001")


def test_scope_handler_sees_own_department_only(db):
    bureau = DepartmentFactory(name="城管局")
    station = DepartmentFactory(name="环卫所", parent=bureau)
    handler = person_with_roles(Role.HANDLER, department=bureau)

    scope = user_scope(user=handler)

    assert scope.department_ids == {bureau.pk}
    assert station.pk not in scope.department_ids
    assert not scope.sees_all
    assert scope.patrol_grid_ids == frozenset()


def test_scope_department_lead_sees_sub_departments(db):
    bureau = DepartmentFactory(name="城管局")
    station = DepartmentFactory(name="环卫所", parent=bureau)
    team = DepartmentFactory(name="清扫队", parent=station)
    DepartmentFactory(name="别的局")
    lead = person_with_roles(Role.DEPARTMENT_LEAD, department=bureau)

    assert user_scope(user=lead).department_ids == {bureau.pk, station.pk, team.pk}


def test_scope_supervisor_sees_assigned_areas(city):
    supervisor = person_with_roles(Role.SUPERVISOR)
    person_set(
        user=supervisor, department=supervisor.person.department, supervised_areas=city.streets[:1]
    )

    scope = user_scope(user=supervisor)

    assert scope.area_codes == {"370202001"}
    assert not scope.sees_all_areas
    assert not scope.sees_all
    assert scope.covers_area_code(city.grids[0].code)
    assert not scope.covers_area_code(city.grids[-1].code)


def test_scope_supervisor_without_areas_oversees_the_whole_city(db):
    scope = user_scope(user=person_with_roles(Role.SUPERVISOR))

    assert scope.area_codes == frozenset()
    assert scope.sees_all_areas
    assert not scope.sees_all


def test_scope_administrator_and_superuser_see_all(db):
    admin = person_with_roles(Role.ADMINISTRATOR)
    superuser = UserFactory(is_superuser=True)

    assert user_scope(user=admin).sees_all
    assert user_scope(user=superuser).has(Role.ADMINISTRATOR)
    assert user_scope(user=superuser).department_ids == frozenset()


def test_scope_one_person_with_several_roles_gets_their_union(city):
    operator = person_with_roles(Role.INSPECTOR, Role.DISPATCHER, Role.HANDLER)
    patrol_assign(actor=None, inspector=operator, grids=city.grids[:1], valid_from=date(2026, 1, 1))

    scope = user_scope(user=operator, on=TODAY)

    assert scope.roles == {Role.INSPECTOR, Role.DISPATCHER, Role.HANDLER}
    assert scope.sees_all
    assert scope.patrol_grid_ids == {city.grids[0].pk}


def test_scope_is_empty_without_roles_or_login_or_when_inactive(db):
    nobody = person_with_roles()
    gone = person_with_roles(Role.DISPATCHER)
    gone.is_active = False

    for user in (nobody, AnonymousUser(), gone):
        scope = user_scope(user=user)
        assert scope.roles == frozenset()
        assert not scope.sees_all
        assert not scope.has(Role.DISPATCHER)


def test_roles_set_gives_exact_roles_and_staff_to_administrators(defaults_loaded):
    admin = person_with_roles(Role.ADMINISTRATOR)
    user = person_with_roles(Role.INSPECTOR)
    user.groups.add(Group.objects.create(name="unrelated"))

    roles = roles_set(actor=admin, user=user, roles=[Role.ADMINISTRATOR, Role.DISPATCHER])

    assert roles == {Role.ADMINISTRATOR, Role.DISPATCHER}
    user.refresh_from_db()
    assert user.is_staff
    assert user.groups.filter(name="unrelated").exists()
    assert user.has_perm("departments.change_responsibilityrule")


def test_roles_set_requires_an_administrator(db):
    dispatcher = person_with_roles(Role.DISPATCHER)
    user = person_with_roles()

    with pytest.raises(NotPermitted):
        roles_set(actor=dispatcher, user=user, roles=[Role.ADMINISTRATOR])


def test_roles_set_refuses_an_administrator_demoting_themself(db):
    admin = person_with_roles(Role.ADMINISTRATOR)

    with pytest.raises(ValidationFailed):
        roles_set(actor=admin, user=admin, roles=[Role.DISPATCHER])


def test_role_groups_carry_permissions_for_their_work(defaults_loaded):
    inspector = person_with_roles(Role.INSPECTOR)
    supervisor = person_with_roles(Role.SUPERVISOR)

    assert inspector.has_perm("grids.view_grid")
    assert not inspector.has_perm("departments.change_department")
    assert supervisor.has_perm("departments.view_responsibilityrule")
    assert not supervisor.has_perm("departments.change_responsibilityrule")


def test_users_with_role_filters_by_department_and_activity(db):
    sanitation = DepartmentFactory(kind=Department.Kind.PROFESSIONAL)
    a = person_with_roles(Role.HANDLER, department=sanitation)
    b = person_with_roles(Role.HANDLER)
    inactive = person_with_roles(Role.HANDLER, department=sanitation)
    inactive.is_active = False
    inactive.save()

    assert list(users_with_role(role=Role.HANDLER, department=sanitation)) == [a]
    assert set(users_with_role(role=Role.HANDLER)) == {a, b}


@pytest.mark.django_db(transaction=True)
def test_role_groups_exist_with_permissions_even_after_a_test_flush():
    # Transactional tests flush every table; the groups come back with migrate's signal.
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)

    admin_group = Group.objects.get(name=Role.ADMINISTRATOR.value)
    assert admin_group.permissions.filter(codename="change_responsibilityrule").exists()
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_scope_is_one_statement_and_its_patrols_agree_with_the_patrol_queryset(
    city, django_assert_num_queries
):
    from datetime import timedelta

    from departments.models import PatrolAssignment

    inspector = person_with_roles(Role.INSPECTOR, Role.SUPERVISOR)
    patrol_assign(actor=None, inspector=inspector, grids=city.grids[:2], valid_from=TODAY)
    patrol_end(
        actor=None, inspector=inspector, grids=city.grids[1:2], valid_to=TODAY + timedelta(1)
    )
    patrol_assign(
        actor=None, inspector=inspector, grids=city.grids[3:4], valid_from=TODAY + timedelta(1)
    )

    for day in (TODAY - timedelta(1), TODAY, TODAY + timedelta(1), TODAY + timedelta(2)):
        with django_assert_num_queries(1):
            scope = user_scope(user=inspector, on=day)
        in_force = PatrolAssignment.objects.on(day).filter(inspector=inspector)
        assert scope.patrol_grid_ids == set(in_force.values_list("grid_id", flat=True)), day

"""Writes of the organisation: departments, people, their roles, and patrol areas."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import Department, PatrolAssignment, Person
from departments.roles import Role
from departments.selectors import user_roles
from departments.services._common import require_role, validated
from gridcity.errors import ValidationFailed
from grids.models import Area, Grid

User = get_user_model()

DEPARTMENT_FIELDS = ("name", "kind", "credit_code", "parent", "area", "phone", "email", "is_active")


@transaction.atomic
def department_create(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    kind: str,
    credit_code: str,
    parent: Department | None = None,
    area: Area | None = None,
    phone: str = "",
    email: str = "",
    is_active: bool = True,
) -> Department:
    require_role(actor, Role.ADMINISTRATOR)
    department = Department(
        name=name,
        kind=kind,
        credit_code=credit_code.strip().upper(),
        parent=parent,
        area=area,
        phone=phone,
        email=email,
        is_active=is_active,
    )
    validated(department)
    department.save()
    return department


@transaction.atomic
def department_update(
    *, actor: AbstractBaseUser | None, department: Department, **changes: Any
) -> Department:
    require_role(actor, Role.ADMINISTRATOR)
    unknown = set(changes) - set(DEPARTMENT_FIELDS)
    if unknown:
        raise ValidationFailed(_("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    department = Department.objects.select_for_update().get(pk=department.pk)
    if "credit_code" in changes:
        changes["credit_code"] = changes["credit_code"].strip().upper()
    for name, value in changes.items():
        setattr(department, name, value)
    validated(department)
    department.save(update_fields=list(changes) or None)
    return department


@transaction.atomic
def person_set(
    *,
    user: AbstractBaseUser,
    department: Department,
    phone: str | None = None,
    supervised_areas: Iterable[Area] | None = None,
) -> Person:
    """Places `user` in `department` (creating their Person row when needed)."""
    if not department.is_active:
        raise ValidationFailed(
            _("部门“%(name)s”已停用，不能再加入人员。") % {"name": department.name}
        )
    person, created = Person.objects.select_for_update().get_or_create(
        user=user, defaults={"department": department, "phone": phone or ""}
    )
    if not created:
        person.department = department
        fields = ["department"]
        if phone is not None:
            person.phone = phone
            fields.append("phone")
        person.save(update_fields=fields)
    if supervised_areas is not None:
        person.supervised_areas.set(list(supervised_areas))
    return person


@transaction.atomic
def roles_set(
    *, actor: AbstractBaseUser | None, user: AbstractBaseUser, roles: Iterable[Role | str]
) -> frozenset[Role]:
    """Gives `user` exactly `roles` (other groups are kept). Administrators become staff so the
    admin site opens for them."""
    require_role(actor, Role.ADMINISTRATOR)
    wanted = {Role(role) for role in roles}
    if actor is not None and actor.pk == user.pk and Role.ADMINISTRATOR not in wanted:
        raise ValidationFailed(_("不能撤销自己的系统管理员角色。"), code="self_demotion")
    groups = {group.name: group for group in Group.objects.filter(name__in=list(Role.values))}
    missing = [role for role in Role if role.value not in groups]
    for role in missing:
        groups[role.value] = Group.objects.create(name=role.value)
    role_groups = [groups[role.value] for role in Role]
    user.groups.remove(*[g for g in role_groups if g.name not in {r.value for r in wanted}])
    user.groups.add(*[groups[role.value] for role in wanted])
    is_staff = Role.ADMINISTRATOR in wanted or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    return user_roles(user=User.objects.get(pk=user.pk))


def role_grant(
    *, actor: AbstractBaseUser | None, user: AbstractBaseUser, role: Role | str
) -> frozenset[Role]:
    return roles_set(actor=actor, user=user, roles=user_roles(user=user) | {Role(role)})


def role_revoke(
    *, actor: AbstractBaseUser | None, user: AbstractBaseUser, role: Role | str
) -> frozenset[Role]:
    return roles_set(actor=actor, user=user, roles=user_roles(user=user) - {Role(role)})


@transaction.atomic
def patrol_assign(
    *,
    actor: AbstractBaseUser | None,
    inspector: AbstractBaseUser,
    grids: Iterable[Grid],
    valid_from: date,
    handover: bool = True,
) -> list[PatrolAssignment]:
    """Makes `inspector` patrol `grids` from `valid_from`. With `handover`, other inspectors'
    assignments of those grids end that day (plans that had not started yet are dropped)."""
    require_role(actor, Role.ADMINISTRATOR, Role.SHIFT_LEADER)
    if Role.INSPECTOR not in user_roles(user=inspector):
        raise ValidationFailed(
            _("%(user)s 不是监督员，不能分配巡查网格。") % {"user": inspector.get_username()},
            code="not_an_inspector",
        )
    grid_ids = sorted({grid.pk for grid in grids})
    # Lock the grids in key order so concurrent assignments of overlapping sets cannot deadlock.
    list(Grid.objects.select_for_update().filter(pk__in=grid_ids).order_by("pk"))
    current = PatrolAssignment.objects.filter(grid_id__in=grid_ids).filter(
        valid_to__isnull=True
    ) | PatrolAssignment.objects.filter(grid_id__in=grid_ids, valid_to__gt=valid_from)
    created = []
    already = set()
    for row in current.order_by("pk"):
        if row.inspector_id == inspector.pk:
            already.add(row.grid_id)
            continue
        if not handover:
            continue
        if row.valid_from >= valid_from:
            row.delete()
        else:
            row.valid_to = valid_from
            row.save(update_fields=["valid_to"])
    for grid_id in grid_ids:
        if grid_id in already:
            continue
        created.append(
            PatrolAssignment(inspector=inspector, grid_id=grid_id, valid_from=valid_from)
        )
    PatrolAssignment.objects.bulk_create(created)
    return created


@transaction.atomic
def patrol_end(
    *,
    actor: AbstractBaseUser | None,
    inspector: AbstractBaseUser,
    valid_to: date,
    grids: Iterable[Grid] | None = None,
) -> int:
    """Ends the inspector's open assignments (of `grids`, or all) on `valid_to`."""
    require_role(actor, Role.ADMINISTRATOR, Role.SHIFT_LEADER)
    rows = PatrolAssignment.objects.select_for_update().filter(
        inspector=inspector, valid_to__isnull=True
    )
    if grids is not None:
        rows = rows.filter(grid_id__in=[grid.pk for grid in grids])
    ended = 0
    for row in rows.order_by("pk"):
        if row.valid_from >= valid_to:
            row.delete()
        else:
            row.valid_to = valid_to
            row.save(update_fields=["valid_to"])
        ended += 1
    return ended

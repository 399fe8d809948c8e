"""Factories of the departments app: departments, users, and people holding roles."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from departments.codes import credit_code_make
from departments.models import Department, Person
from departments.roles import Role

User = get_user_model()


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"测试部门{n}")
    kind = Department.Kind.PROFESSIONAL
    credit_code = factory.Sequence(
        lambda n: credit_code_make(registration="12", region="370202", serial=f"{n + 1:08d}")
    )
    is_active = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("pw-test-123")
    is_active = True


def person_with_roles(
    *roles: Role | str,
    department: Department | None = None,
    username: str | None = None,
    phone: str = "",
) -> User:
    """A user in `department` (a new professional department by default) holding `roles`."""
    kwargs = {"username": username} if username else {}
    user = UserFactory(**kwargs)
    Person.objects.create(user=user, department=department or DepartmentFactory(), phone=phone)
    for role in roles:
        group, _ = Group.objects.get_or_create(name=Role(role).value)
        user.groups.add(group)
    return user

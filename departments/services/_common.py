"""Helpers shared by the services: permission checks and turning model validation into
domain errors."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from departments.roles import Role
from departments.selectors import user_roles
from gridcity.errors import NotPermitted, ValidationFailed


def require_role(actor: AbstractBaseUser | None, *roles: Role) -> None:
    """`actor` None means the system itself (migrations, demo, beat tasks)."""
    if actor is None:
        return
    if not user_roles(user=actor) & set(roles):
        raise NotPermitted(
            _("此操作需要以下角色之一：%(roles)s。")
            % {"roles": "、".join(str(role.label) for role in roles)}
        )


def validated(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Runs the model's own validation, raising ValidationFailed with every message."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        details = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        message = "；".join(msg for messages in details.values() for msg in messages)
        raise ValidationFailed(message, code="invalid", fields=details) from exc

"""Writes and evaluation of responsibility rules, and the dry run of a proposed change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import Department, ResponsibilityRule
from departments.roles import Role
from departments.routing import (
    Routing,
    RoutingChange,
    RoutingItem,
    RuleSet,
    routing_changes,
    routing_items_registered,
)
from departments.services._common import require_role, validated
from gridcity.errors import ValidationFailed
from grids.models import Category, Component, Grid

RULE_FIELDS = (
    "priority",
    "name",
    "kind",
    "category_code",
    "area_code",
    "unit_code",
    "unit_role",
    "lead",
    "is_active",
)


def responsibility_evaluate(
    *, category: Category, grid: Grid, component: Component | None = None
) -> Routing:
    """Who answers for a case of `category` in `grid` (about `component`): the first active
    rule that matches, else the street office of the grid's street (属地兜底)."""
    return RuleSet.from_db().route(category=category, grid=grid, component=component)


def _check_assisting(lead: Department | None, assisting: Iterable[Department]) -> list[Department]:
    chosen = list(dict.fromkeys(assisting))
    if lead is not None and any(dept.pk == lead.pk for dept in chosen):
        raise ValidationFailed(_("主办部门不能同时是协办部门。"), code="lead_assisting")
    inactive = [dept.name for dept in chosen if not dept.is_active]
    if inactive:
        raise ValidationFailed(
            _("协办部门已停用：%(names)s") % {"names": "、".join(inactive)}, code="inactive"
        )
    return chosen


@transaction.atomic
def rule_create(
    *,
    actor: AbstractBaseUser | None,
    priority: int,
    lead: Department,
    assisting: Iterable[Department] = (),
    name: str = "",
    kind: str = "",
    category_code: str = "",
    area_code: str = "",
    unit_code: str = "",
    unit_role: str = ResponsibilityRule.UnitRole.ANY,
    is_active: bool = True,
) -> ResponsibilityRule:
    require_role(actor, Role.ADMINISTRATOR)
    rule = ResponsibilityRule(
        priority=priority,
        lead=lead,
        name=name,
        kind=kind,
        category_code=category_code.strip(),
        area_code=area_code.strip(),
        unit_code=unit_code.strip().upper(),
        unit_role=unit_role,
        is_active=is_active,
    )
    chosen = _check_assisting(lead, assisting)
    validated(rule)
    rule.save()
    rule.assisting.set(chosen)
    return rule


@transaction.atomic
def rule_update(
    *,
    actor: AbstractBaseUser | None,
    rule: ResponsibilityRule,
    assisting: Iterable[Department] | None = None,
    **changes: Any,
) -> ResponsibilityRule:
    require_role(actor, Role.ADMINISTRATOR)
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValidationFailed(_("不能修改这些字段：%(f)s") % {"f": ", ".join(sorted(unknown))})
    rule = ResponsibilityRule.objects.select_for_update().get(pk=rule.pk)
    for name, value in changes.items():
        setattr(rule, name, value.strip().upper() if name == "unit_code" else value)
    current = list(rule.assisting.all()) if assisting is None else assisting
    chosen = _check_assisting(rule.lead, current)
    validated(rule)
    rule.save(update_fields=[*changes, "updated_at"])
    if assisting is not None:
        rule.assisting.set(chosen)
    return rule


def responsibility_dry_run(
    *,
    draft: ResponsibilityRule | None = None,
    assisting: Iterable[Department] = (),
    replaces: ResponsibilityRule | None = None,
    removes: ResponsibilityRule | None = None,
    items: Iterable[RoutingItem] | None = None,
) -> list[RoutingChange]:
    """Which cases would get a different lead department if `draft` (unsaved, validated here)
    were added, or stood in for `replaces`, or if `removes` were deleted. `items` defaults to
    the cases lent by the registered sources (see departments.routing). Nothing is written."""
    rule_set = RuleSet.from_db()
    if removes is not None:
        rule_set = rule_set.without(removes.pk)
    if draft is not None:
        validated(draft)
        chosen = _check_assisting(draft.lead, assisting)
        rule_set = rule_set.with_draft(
            draft, assisting=chosen, replaces=replaces.pk if replaces is not None else None
        )
    return routing_changes(rule_set, routing_items_registered() if items is None else items)

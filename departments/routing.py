"""Evaluating responsibility rules: first match wins, else the street office (属地兜底).

Also the hook through which the cases app lends its open cases to the rules' dry run:
the cases app calls `routing_item_source_register(fn)` once (in its AppConfig.ready), where
`fn()` yields a `RoutingItem` per open case; departments never imports cases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from departments.models import Department, ResponsibilityRule
from gridcity.errors import ValidationFailed
from grids.models import Category, Component, Grid

AREA_LEVEL_BY_LENGTH = {
    6: gettext_lazy("区县"),
    9: gettext_lazy("街道"),
    12: gettext_lazy("社区"),
    14: gettext_lazy("网格"),
    15: gettext_lazy("网格"),
}


@dataclass(frozen=True)
class Routing:
    """Who answers for a case: one lead department, optional assisting ones, and why."""

    lead: Department
    assisting: tuple[Department, ...]
    rule: ResponsibilityRule | None
    reason: str

    @property
    def is_fallback(self) -> bool:
        return self.rule is None


@dataclass(frozen=True)
class RoutingItem:
    """An existing case as the dry run sees it. `key` identifies it to people (a case number)."""

    key: str
    category: Category
    grid: Grid
    component: Component | None
    current_lead: Department | None


@dataclass(frozen=True)
class RoutingChange:
    """A case that a proposed rule set would send to a different lead department."""

    item: RoutingItem
    routing: Routing


@dataclass(frozen=True)
class _Rule:
    model: ResponsibilityRule
    assisting: tuple[Department, ...]


class RuleSet:
    """The active rules in the order they are tried, plus the street offices for the fallback.
    Built once and reused to route many cases (the dry run)."""

    def __init__(self, rules: Sequence[_Rule], street_offices: dict[int, Department]) -> None:
        self._rules = tuple(sorted(rules, key=_order))
        self._street_offices = street_offices

    @classmethod
    def from_db(cls) -> RuleSet:
        models = list(
            ResponsibilityRule.objects.active()
            .in_order()
            .select_related("lead")
            .prefetch_related("assisting")
        )
        rules = [_Rule(rule, tuple(rule.assisting.all())) for rule in models]
        offices = {
            office.area_id: office
            for office in Department.objects.active()
            .street_offices()
            .filter(area__isnull=False)
            .select_related("area")
        }
        return cls(rules, offices)

    def with_draft(
        self,
        draft: ResponsibilityRule,
        *,
        assisting: Iterable[Department] = (),
        replaces: int | None = None,
    ) -> RuleSet:
        """This set with `draft` (unsaved) added, or standing in for rule `replaces`."""
        kept = [rule for rule in self._rules if rule.model.pk != replaces]
        if replaces is not None and len(kept) == len(self._rules):
            kept = list(self._rules)
        if draft.is_active:
            kept.append(_Rule(draft, tuple(assisting)))
        return RuleSet(kept, self._street_offices)

    def without(self, rule_id: int) -> RuleSet:
        return RuleSet([r for r in self._rules if r.model.pk != rule_id], self._street_offices)

    def route(
        self, *, category: Category, grid: Grid, component: Component | None = None
    ) -> Routing:
        for rule in self._rules:
            if rule.model.lead.is_active and _matches(rule.model, category, grid, component):
                assisting = tuple(
                    dept
                    for dept in rule.assisting
                    if dept.is_active and dept.pk != rule.model.lead_id
                )
                return Routing(
                    lead=rule.model.lead,
                    assisting=assisting,
                    rule=rule.model,
                    reason=_rule_reason(rule.model, category),
                )
        return self._fallback(category=category, grid=grid)

    def _fallback(self, *, category: Category, grid: Grid) -> Routing:
        street = grid.community.parent
        office = self._street_offices.get(street.pk) if street is not None else None
        if office is None:
            raise ValidationFailed(
                _("网格 %(grid)s 没有匹配的责任规则，其所在街道也没有启用的街道办事处。")
                % {"grid": grid.code},
                code="no_responsible_unit",
            )
        reason = _(
            "无匹配规则，属地兜底：%(code)s %(name)s，网格 %(grid)s 属街道 %(street)s "
            "%(street_name)s → %(lead)s"
        ) % {
            "code": category.code,
            "name": category.name,
            "grid": grid.code,
            "street": street.code,
            "street_name": street.name,
            "lead": office.name,
        }
        return Routing(lead=office, assisting=(), rule=None, reason=reason)


def _order(rule: _Rule) -> tuple[int, int]:
    # Unsaved drafts sort after saved rules of the same priority.
    return (rule.model.priority, rule.model.pk or 2**62)


def _matches(
    rule: ResponsibilityRule, category: Category, grid: Grid, component: Component | None
) -> bool:
    if rule.kind and rule.kind != category.kind:
        return False
    code = rule.category_code
    if code and not (category.code == code if len(code) == 5 else category.major_code == code):
        return False
    area = rule.area_code
    if area:
        if len(area) >= 14:
            if grid.code != area:
                return False
        elif not (grid.code.startswith(area) or grid.community.code.startswith(area)):
            return False
    if rule.unit_code:
        if component is None:
            return False
        units = {
            ResponsibilityRule.UnitRole.OWNER: {component.owner_unit_code},
            ResponsibilityRule.UnitRole.MAINTENANCE: {component.maintenance_unit_code},
        }.get(rule.unit_role, {component.owner_unit_code, component.maintenance_unit_code})
        if rule.unit_code not in units:
            return False
    return True


def _rule_reason(rule: ResponsibilityRule, category: Category) -> str:
    label = str(rule.pk) if rule.pk else _("（草案）")
    if rule.area_code:
        level = AREA_LEVEL_BY_LENGTH[len(rule.area_code)]
        where = f"{level} {rule.area_code}"
    else:
        where = _("全市")
    if rule.unit_code:
        where += _("，单位 %(unit)s") % {"unit": rule.unit_code}
    return _("规则 %(rule)s：%(code)s %(name)s，%(where)s → %(lead)s") % {
        "rule": label,
        "code": category.code,
        "name": category.name,
        "where": where,
        "lead": rule.lead.name,
    }


# ---------------------------------------------------------------- the cases app's hook
RoutingItemSource = Callable[[], Iterable[RoutingItem]]
_sources: list[RoutingItemSource] = []


def routing_item_source_register(source: RoutingItemSource) -> None:
    """Lets another app (cases) supply the existing cases the dry run compares against.
    Registering the same function twice has no effect."""
    if source not in _sources:
        _sources.append(source)


def routing_items_registered() -> Iterator[RoutingItem]:
    """Every item from every registered source (nothing when no app registered one)."""
    for source in list(_sources):
        yield from source()


def routing_changes(rule_set: RuleSet, items: Iterable[RoutingItem]) -> list[RoutingChange]:
    """Items whose lead department under `rule_set` differs from their current lead."""
    changes = []
    for item in items:
        routing = rule_set.route(category=item.category, grid=item.grid, component=item.component)
        current = item.current_lead.pk if item.current_lead is not None else None
        if routing.lead.pk != current:
            changes.append(RoutingChange(item=item, routing=routing))
    return changes


__all__ = [
    "Routing",
    "RoutingChange",
    "RoutingItem",
    "RuleSet",
    "routing_changes",
    "routing_item_source_register",
    "routing_items_registered",
]

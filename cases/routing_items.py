"""The open cases that a responsibility-rule dry run compares against (lent to departments)."""

from __future__ import annotations

from collections.abc import Iterator

from departments.routing import RoutingItem


def open_case_routing_items() -> Iterator[RoutingItem]:
    """Every open case with its category, grid, component and current lead department."""
    from cases.models import Case

    cases = (
        Case.objects.open()
        .select_related("category", "grid", "component", "lead_department")
        .order_by("pk")
    )
    for case in cases.iterator(chunk_size=2000):
        yield RoutingItem(
            key=case.number,
            category=case.category,
            grid=case.grid,
            component=case.component,
            current_lead=case.lead_department,
        )

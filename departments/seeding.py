"""Idempotent loaders of the built-in starting values. They take the model classes as arguments
so that data migrations (historical models) and services (current models) share them."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from departments.defaults import (
    DEFAULT_DUTY_HOURS,
    DEFAULT_STEP_LIMITS,
    ROLE_PERMISSIONS,
    SAMPLE_HANDLING_LIMITS,
)


def load_duty_hours(duty_period: Any) -> int:
    """Creates the default duty periods when none exist; returns how many were created."""
    if duty_period.objects.exists():
        return 0
    rows = [
        duty_period(weekday=weekday, start=begin, end=end)
        for weekday, spans in DEFAULT_DUTY_HOURS.items()
        for begin, end in spans
    ]
    duty_period.objects.bulk_create(rows)
    return len(rows)


def load_time_limits(time_limit: Any, category: Any) -> int:
    """Adds every default and sample limit that has no row yet (existing rows, possibly edited
    by the city, are left alone); samples whose category is missing are skipped."""
    created = 0
    for step, urgency, amount, unit, note in DEFAULT_STEP_LIMITS:
        _, made = time_limit.objects.get_or_create(
            step=step,
            category=None,
            urgency=urgency,
            defaults={"amount": amount, "unit": unit, "note": note},
        )
        created += made
    categories = {(c.kind, c.code): c for c in category.objects.filter(is_local=False)}
    for kind, code, urgency, amount, unit, note in SAMPLE_HANDLING_LIMITS:
        row = categories.get((kind, code))
        if row is None:
            continue
        _, made = time_limit.objects.get_or_create(
            step="handle",
            category=row,
            urgency=urgency,
            defaults={"amount": amount, "unit": unit, "note": note},
        )
        created += made
    return created


def sync_role_groups(group: Any, permission: Any) -> int:
    """Creates each role's group and sets its permissions from ROLE_PERMISSIONS; returns the
    number of groups created."""
    created = 0
    every = list(permission.objects.select_related("content_type"))
    for role, patterns in ROLE_PERMISSIONS.items():
        row, made = group.objects.get_or_create(name=role)
        created += made
        wanted = [
            perm
            for perm in every
            if any(
                perm.content_type.app_label == pattern.split(".", 1)[0]
                and fnmatchcase(perm.codename, pattern.split(".", 1)[1])
                for pattern in patterns
            )
        ]
        row.permissions.set(wanted)
    return created

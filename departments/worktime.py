"""The working-time configuration as each process holds it: the calendar (duty hours and the
city's calendar days) and the time limits. Every report and every step needs both; reading them
took four queries and about 3 ms a report (bench/RESULTS.md, eighth round). A process now reads
them once and again only when the database's generation number for them has changed
(departments/migrations/0005_worktime_generation.py: triggers bump it on any change to the
tables, however made), which costs one small query.

The generation is read before the configuration, so what is held is never older than the
generation it is held under; a change committed in between is caught by the next look."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection

from departments.calendar import WorkCalendar

if TYPE_CHECKING:
    from departments.models import TimeLimit

GENERATION_SQL = "SELECT generation FROM departments_worktime_generation WHERE id = 1"

# A time limit's key: (step, category id or None, urgency or "").
LimitKey = tuple[str, int | None, str]


@dataclass(frozen=True)
class Worktime:
    """The configuration as read at one generation. Shared between requests: never change it."""

    calendar: WorkCalendar
    limits: dict[LimitKey, TimeLimit]  # with their categories loaded


_held: tuple[tuple[object, ...], Worktime] | None = None
_lock = threading.Lock()


def current_worktime() -> Worktime:
    """The configuration as it is now, read afresh only when it changed since this process last
    read it."""
    global _held
    with connection.cursor() as cursor:
        cursor.execute(GENERATION_SQL)
        row = cursor.fetchone()
    # The zone is part of the key: a calendar computes in the zone it was built with.
    key = (connection.settings_dict["NAME"], row[0] if row else None, settings.TIME_ZONE)
    held = _held
    if held is not None and held[0] == key and row is not None:
        return held[1]
    worktime = _read()
    if row is not None:  # no row (never in a migrated database): read every time
        with _lock:
            _held = (key, worktime)
    return worktime


def _read() -> Worktime:
    from departments.calendar import read_work_calendar
    from departments.models import TimeLimit

    limits = {
        (row.step, row.category_id, row.urgency): row
        for row in TimeLimit.objects.select_related("category")
    }
    return Worktime(calendar=read_work_calendar(), limits=limits)

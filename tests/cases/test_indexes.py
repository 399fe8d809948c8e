"""The partial indexes on the open cases exist in the database as declared: each holds the open
cases only. A partial index created without its condition still works, only as a full index
many times its size (Django's PostGIS schema editor dropped the condition of an index on one
geometry field by name), so only reading the definition back finds the fault."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from cases.models import Case
from cases.workflow import OPEN_STATUSES

pytestmark = pytest.mark.django_db

OPEN_INDEXES = {
    "case_timer_due_open": ("btree", "(next_timer_change_at)"),
    "case_open_queue": ("btree", "(status, timer_colour, step_deadline) INCLUDE (pending)"),
    "case_open_colour_reported": ("btree", "(status, timer_colour, reported_at DESC, id DESC)"),
    "case_open_location": ("gist", "(location)"),
    "case_open_urgent": ("btree", "(status, step_deadline, reported_at DESC, id DESC)"),
}


def _definitions() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
            [Case._meta.db_table],
        )
        return dict(cursor.fetchall())


@pytest.mark.parametrize("name", sorted(OPEN_INDEXES))
def test_each_open_case_index_holds_only_the_open_cases(name: str) -> None:
    method, columns = OPEN_INDEXES[name]

    definition = _definitions()[name]

    assert f"USING {method} {columns}" in definition
    where = definition.partition(" WHERE ")[2]
    assert set(re.findall(r"'([a-z_]+)'", where)) == {str(s) for s in OPEN_STATUSES}

"""Fixtures of the reports tests: the cases tests' small world with the built-in time limits and
score schemes loaded (a transactional test elsewhere may have flushed them), the fortnight of
hand-counted cases, and tasks run in process unless a test asks for the session's worker."""

from __future__ import annotations

import pytest

from cases.models import Case
from departments.models import DutyPeriod, TimeLimit
from departments.seeding import load_duty_hours, load_time_limits
from grids.models import Category
from reports.models import GradeBand, ScoreScheme, ScoreWeight
from reports.seeding import load_score_schemes
from tests.factories.cases import World, build_world
from tests.factories.reports import build_fortnight


@pytest.fixture(autouse=True)
def _tasks_run_in_process(request: pytest.FixtureRequest) -> None:
    """Filing a case queues its tasks; a transactional test's tasks must not reach a worker
    another test left running, which would read the tables while they are truncated after the
    test (the flush and that reader deadlock, and the next test finds the rows still there)."""
    if "celery_worker" not in request.fixturenames:
        request.getfixturevalue("tasks_in_process")


@pytest.fixture
def world(db: None) -> World:
    made = build_world()
    load_duty_hours(DutyPeriod)
    load_time_limits(TimeLimit, Category)
    load_score_schemes(ScoreScheme, ScoreWeight, GradeBand)
    return made


@pytest.fixture
def fortnight(world: World) -> dict[str, Case]:
    return build_fortnight(world)

"""Fixtures of the reports tests: the cases tests' small world with the built-in time limits and
score schemes loaded (a transactional test elsewhere may have flushed them), the fortnight of
hand-counted cases, and tasks run in process."""

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

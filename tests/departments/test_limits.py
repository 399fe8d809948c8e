"""Time limits: the seeded defaults and samples, the order of specificity, and the working day."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from departments.models import DutyPeriod, TimeLimit
from departments.selectors import time_limit_for
from departments.services import time_limit_set, working_time_defaults_load
from gridcity.errors import NotPermitted
from tests.factories.departments import person_with_roles

Step, Urgency = TimeLimit.Step, TimeLimit.Urgency


@pytest.fixture
def limits(categories, defaults_loaded):
    working_time_defaults_load()  # again, now that the categories exist
    return categories


@pytest.mark.parametrize(
    ("step", "minutes"),
    [("verify", 30), ("reinspect", 30), ("accept", 30), ("file", 30), ("dispatch", 30)],
)
def test_time_limit_for_each_step_has_a_working_default(limits, step, minutes):
    limit = time_limit_for(step=step, category=None, urgency=Urgency.NORMAL)

    assert limit.duration == timedelta(minutes=minutes)
    assert not limit.natural


def test_time_limit_close_defaults_to_sixty_working_minutes(limits):
    limit = time_limit_for(step=Step.CLOSE, category=limits["lamp"], urgency=Urgency.URGENT)

    assert limit.duration == timedelta(minutes=60)


def test_time_limit_handle_defaults_by_urgency(limits):
    normal = time_limit_for(step=Step.HANDLE, category=limits["lamp"], urgency=Urgency.NORMAL)
    urgent = time_limit_for(step=Step.HANDLE, category=limits["lamp"], urgency=Urgency.URGENT)
    works = time_limit_for(step=Step.HANDLE, category=None, urgency=Urgency.ENGINEERING)

    assert (normal.duration, normal.natural) == (timedelta(hours=7.5), False)
    assert (urgent.duration, urgent.natural) == (timedelta(hours=4), True)
    assert (works.duration, works.natural) == (20 * timedelta(hours=7.5), False)


def test_time_limit_sample_rows_of_the_domain_reference(limits):
    garbage = time_limit_for(
        step=Step.HANDLE, category=limits["exposed_garbage"], urgency=Urgency.NORMAL
    )
    road = time_limit_for(step=Step.HANDLE, category=limits["road_dirty"], urgency=Urgency.NORMAL)
    cover = time_limit_for(
        step=Step.HANDLE, category=limits["manhole_matter"], urgency=Urgency.NORMAL
    )

    assert garbage.duration == timedelta(hours=4)
    assert "06010" in garbage.source and "暴露垃圾" in garbage.source
    assert road.duration == timedelta(hours=2)
    assert (cover.duration, cover.natural) == (timedelta(hours=6), True)


def test_time_limit_urgent_case_of_a_sampled_category_uses_the_urgent_default(limits):
    limit = time_limit_for(
        step=Step.HANDLE, category=limits["exposed_garbage"], urgency=Urgency.URGENT
    )

    assert (limit.duration, limit.natural) == (timedelta(hours=4), True)
    assert "紧急" in limit.source


def test_time_limit_category_row_for_any_urgency_beats_the_urgency_default(limits):
    time_limit_set(
        actor=None,
        step=Step.HANDLE,
        category=limits["vending"],
        urgency="",
        amount=90,
        unit=TimeLimit.Unit.WORKING_MINUTES,
    )

    limit = time_limit_for(step=Step.HANDLE, category=limits["vending"], urgency=Urgency.URGENT)

    assert limit.duration == timedelta(minutes=90)


def test_time_limit_working_day_follows_the_configured_duty_hours(limits):
    DutyPeriod.objects.all().delete()
    for weekday in range(5):
        DutyPeriod.objects.create(weekday=weekday, start=time(9), end=time(12))
        DutyPeriod.objects.create(weekday=weekday, start=time(13), end=time(17))

    limit = time_limit_for(step=Step.HANDLE, category=None, urgency=Urgency.ENGINEERING)

    assert limit.duration == 20 * timedelta(hours=7)


def test_time_limit_falls_back_to_built_in_defaults_on_an_empty_table(db):
    TimeLimit.objects.all().delete()

    limit = time_limit_for(step=Step.VERIFY, category=None, urgency=Urgency.NORMAL)

    assert limit.duration == timedelta(minutes=30)
    assert "内置" in limit.source


def test_time_limit_set_requires_an_administrator(limits):
    with pytest.raises(NotPermitted):
        time_limit_set(
            actor=person_with_roles("dispatcher"),
            step=Step.VERIFY,
            category=None,
            urgency="",
            amount=10,
            unit=TimeLimit.Unit.WORKING_MINUTES,
        )


def test_working_time_defaults_load_is_idempotent_and_keeps_edits(limits):
    time_limit_set(
        actor=None,
        step=Step.VERIFY,
        category=None,
        urgency="",
        amount=120,
        unit=TimeLimit.Unit.WORKING_MINUTES,
    )
    before = TimeLimit.objects.count()

    assert working_time_defaults_load() == 0
    assert TimeLimit.objects.count() == before
    limit = time_limit_for(step=Step.VERIFY, category=None, urgency=Urgency.NORMAL)
    assert limit.duration == timedelta(minutes=120)

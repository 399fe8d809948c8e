"""The working-time configuration a process holds (departments.worktime): read once, then one
small query a look, and every change to the tables seen at the next look however it was made:
through the ORM, by a bulk update, by raw SQL, from another connection, and never a change that
was rolled back."""

from __future__ import annotations

from datetime import date, time, timedelta

import psycopg
import pytest
from django.db import connection, transaction

from departments.calendar import work_calendar
from departments.models import CalendarDay, DutyPeriod, TimeLimit
from departments.selectors import time_limit_for
from departments.worktime import current_worktime

Step, Urgency, Unit = TimeLimit.Step, TimeLimit.Urgency, TimeLimit.Unit


def _garbage_handle_hours(categories) -> timedelta:
    return time_limit_for(
        step=Step.HANDLE, category=categories["exposed_garbage"], urgency=Urgency.NORMAL
    ).duration


def test_the_configuration_is_read_once_and_then_looked_at_with_one_query(
    categories, defaults_loaded, django_assert_num_queries
):
    first = current_worktime()

    with django_assert_num_queries(1):
        again = current_worktime()
    with django_assert_num_queries(2):
        work_calendar()
        time_limit_for(step=Step.ACCEPT, category=categories["lamp"], urgency=Urgency.NORMAL)

    assert again is first


def _by_save(categories) -> None:
    row = TimeLimit.objects.get(step=Step.HANDLE, category=categories["exposed_garbage"])
    row.amount, row.unit = 9, Unit.WORKING_HOURS
    row.save()


def _by_bulk_update(categories) -> None:
    assert TimeLimit.objects.filter(
        step=Step.HANDLE, category=categories["exposed_garbage"]
    ).update(amount=9, unit=Unit.WORKING_HOURS)


def _by_raw_sql(categories) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE departments_timelimit SET amount = 9, unit = 'working_hours'"
            " WHERE step = 'handle' AND category_id = %s",
            [categories["exposed_garbage"].pk],
        )


@pytest.mark.parametrize("change", [_by_save, _by_bulk_update, _by_raw_sql])
def test_a_changed_time_limit_is_seen_at_the_next_look(categories, defaults_loaded, change):
    assert _garbage_handle_hours(categories) == timedelta(hours=4)  # the sample row, now held

    change(categories)

    assert _garbage_handle_hours(categories) == timedelta(hours=9)


def test_changed_duty_hours_and_calendar_days_are_seen_at_the_next_look(defaults_loaded):
    held = work_calendar()
    assert held.working_day_length == timedelta(hours=7.5)

    DutyPeriod.objects.filter(start=time(13, 30)).update(end=time(18, 30))
    assert work_calendar().working_day_length == timedelta(hours=8.5)
    assert work_calendar() is not held

    holiday = CalendarDay.objects.create(
        date=date(2026, 3, 3), is_working_day=False, note="地方节日"
    )
    assert not work_calendar().is_working_day(holiday.date)
    holiday.delete()
    assert work_calendar().is_working_day(holiday.date)


def test_a_renamed_category_is_named_anew_in_the_limit_it_has(categories, defaults_loaded):
    garbage = categories["exposed_garbage"]
    before = time_limit_for(step=Step.HANDLE, category=garbage, urgency=Urgency.NORMAL)
    assert "暴露垃圾" in before.source

    type(garbage).objects.filter(pk=garbage.pk).update(name="暴露垃圾（改名）")

    after = time_limit_for(step=Step.HANDLE, category=garbage, urgency=Urgency.NORMAL)
    assert "暴露垃圾（改名）" in after.source


def test_a_change_rolled_back_is_never_held_again(categories, defaults_loaded):
    """The generation a rolled-back change ran under is never given again, so what was read
    inside that transaction cannot pass for a later, different change."""
    garbage = categories["exposed_garbage"]
    with pytest.raises(RuntimeError), transaction.atomic():
        TimeLimit.objects.filter(step=Step.HANDLE, category=garbage).update(amount=7)
        assert _garbage_handle_hours(categories) == timedelta(hours=7)
        raise RuntimeError("roll back")

    assert _garbage_handle_hours(categories) == timedelta(hours=4)
    TimeLimit.objects.filter(step=Step.HANDLE, category=garbage).update(amount=5)
    assert _garbage_handle_hours(categories) == timedelta(hours=5)


def _dsn() -> str:
    db = connection.settings_dict
    return (
        f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} user={db['USER']} "
        f"password={db['PASSWORD']} dbname={db['NAME']}"
    )


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_by_another_process_is_seen_at_the_next_look(request):
    categories = request.getfixturevalue("categories")
    request.getfixturevalue("defaults_loaded")
    assert _garbage_handle_hours(categories) == timedelta(hours=4)

    with psycopg.connect(_dsn()) as other:  # another process's connection, committing
        other.execute(
            "UPDATE departments_timelimit SET amount = 6 WHERE step = 'handle'"
            " AND category_id = %s",
            [categories["exposed_garbage"].pk],
        )

    assert _garbage_handle_hours(categories) == timedelta(hours=6)

"""The work calendar: duty hours with a lunch break, weekends, national holidays with make-up
days (Spring Festival and National Day 2026), local overrides, year ends, natural time, and
properties of add/elapsed proved with hypothesis."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from departments.calendar import WorkCalendar, national_knows_year, work_calendar
from departments.defaults import DEFAULT_DUTY_HOURS
from departments.models import CalendarDay, DutyPeriod

TZ = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar(periods=DEFAULT_DUTY_HOURS, tz=TZ)


def test_library_knows_2026_schedule_of_the_state_council_notice(cal):
    off = [date(2026, 1, 1), date(2026, 2, 15), date(2026, 2, 23), date(2026, 4, 6)]
    off += [date(2026, 5, 5), date(2026, 6, 19), date(2026, 9, 25), date(2026, 10, 7)]
    worked = [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9)]
    worked += [date(2026, 9, 20), date(2026, 10, 10)]

    assert [cal.is_working_day(day) for day in off] == [False] * len(off)
    assert [cal.is_working_day(day) for day in worked] == [True] * len(worked)


def test_add_skips_the_lunch_break(cal):
    assert cal.add(at(2026, 3, 2, 11, 30), H) == at(2026, 3, 2, 14, 0)


def test_add_landing_on_the_end_of_a_period_stays_there(cal):
    assert cal.add(at(2026, 3, 2, 11, 0), H) == at(2026, 3, 2, 12, 0)


def test_add_from_outside_duty_hours_starts_at_the_next_period(cal):
    assert cal.add(at(2026, 3, 2, 6, 0), H) == at(2026, 3, 2, 9, 30)
    assert cal.add(at(2026, 3, 2, 12, 40), H) == at(2026, 3, 2, 14, 30)


def test_add_skips_the_weekend(cal):
    assert cal.add(at(2026, 3, 6, 17, 0), H) == at(2026, 3, 9, 9, 0)


def test_add_across_spring_festival_2026_uses_the_make_up_saturdays(cal):
    # Fri Feb 13 17:00: half an hour that day, then Sat Feb 14 is a make-up working day.
    assert cal.add(at(2026, 2, 13, 17, 0), 2 * H) == at(2026, 2, 14, 10, 0)
    # From the make-up Saturday's last half hour the clock jumps over Feb 15-23 to Tue Feb 24.
    assert cal.add(at(2026, 2, 14, 17, 0), H) == at(2026, 2, 24, 9, 0)
    # Sat Feb 28 is worked again.
    assert cal.add(at(2026, 2, 27, 17, 0), H) == at(2026, 2, 28, 9, 0)


def test_elapsed_across_spring_festival_2026_counts_only_duty_hours(cal):
    # Feb 13 afternoon 4 h + make-up Feb 14 7.5 h + Feb 24 morning 3.5 h.
    assert cal.elapsed(at(2026, 2, 13, 12, 0), at(2026, 2, 24, 12, 0)) == timedelta(hours=15)


def test_add_across_national_day_2026(cal):
    assert cal.add(at(2026, 9, 30, 17, 0), H) == at(2026, 10, 8, 9, 0)
    assert cal.add(at(2026, 10, 9, 17, 0), H) == at(2026, 10, 10, 9, 0)
    assert cal.add(at(2026, 9, 18, 17, 0), H) == at(2026, 9, 20, 9, 0)


def test_elapsed_of_national_day_week_2026(cal):
    # Sun Sep 27 (off) to Sun Oct 11: Sep 28, 29, 30, Oct 8, 9 and the make-up Sat Oct 10.
    assert cal.elapsed(at(2026, 9, 27), at(2026, 10, 11)) == 6 * timedelta(hours=7.5)


def test_add_across_the_year_end_into_the_new_year_holiday(cal):
    assert cal.add(at(2025, 12, 31, 17, 0), H) == at(2026, 1, 4, 9, 0)


def test_add_into_a_year_the_library_does_not_know_counts_weekdays():
    assert not national_knows_year(2099)
    cal = WorkCalendar(periods=DEFAULT_DUTY_HOURS, tz=TZ)

    # Wed Dec 31 2098 to Thu Jan 1 2099: without a schedule, New Year's Day counts as worked.
    assert cal.add(at(2098, 12, 31, 17, 0), H) == at(2099, 1, 1, 9, 0)
    assert cal.add(at(2099, 1, 2, 17, 0), H) == at(2099, 1, 5, 9, 0)


def test_local_days_win_over_the_library_and_fill_unknown_years():
    overrides = {date(2027, 1, 1): False, date(2026, 3, 2): False, date(2026, 3, 7): True}
    cal = WorkCalendar(periods=DEFAULT_DUTY_HOURS, overrides=overrides, tz=TZ)

    assert cal.add(at(2026, 12, 31, 17, 0), H) == at(2027, 1, 4, 9, 0)
    # Mon Mar 2 made a local holiday: from the make-up Sat Feb 28 the clock resumes Tue Mar 3.
    assert cal.add(at(2026, 2, 28, 17, 0), H) == at(2026, 3, 3, 9, 0)
    # Sat Mar 7 made a local working day, with Monday's hours.
    assert cal.add(at(2026, 3, 6, 17, 0), H) == at(2026, 3, 7, 9, 0)


def test_natural_time_runs_through_nights_and_holidays(cal):
    start = at(2026, 2, 14, 22, 0)

    assert cal.add(start, 4 * H, natural=True) == at(2026, 2, 15, 2, 0)
    assert cal.elapsed(start, at(2026, 2, 16, 22, 0), natural=True) == 48 * H


def test_add_of_many_working_days_lands_on_the_right_day(cal):
    # 20 working days of 7.5 h from Mon Mar 2 08:30: Mar 2-27 has 20 working days.
    assert cal.add(at(2026, 3, 2, 8, 30), 20 * timedelta(hours=7.5)) == at(2026, 3, 27, 17, 30)


def test_results_are_in_the_city_time_zone_even_for_utc_input(cal):
    start = datetime(2026, 3, 2, 3, 30, tzinfo=ZoneInfo("UTC"))  # 11:30 in Shanghai

    result = cal.add(start, H)

    assert result == at(2026, 3, 2, 14, 0)
    assert result.tzinfo == TZ


def test_naive_datetimes_and_negative_durations_are_refused(cal):
    with pytest.raises(ValueError, match="naive"):
        cal.add(datetime(2026, 3, 2, 9, 0), H)
    with pytest.raises(ValueError, match="negative"):
        cal.add(at(2026, 3, 2, 9, 0), -H)


def test_elapsed_backwards_is_negative(cal):
    assert cal.elapsed(at(2026, 3, 2, 10), at(2026, 3, 2, 9)) == -H


def test_a_calendar_without_any_working_time_fails_instead_of_looping():
    cal = WorkCalendar(periods=DEFAULT_DUTY_HOURS, tz=TZ, national=lambda day: False)

    with pytest.raises(ValueError, match="no working time"):
        cal.add(at(2026, 3, 2, 9), H)


def test_work_calendar_reads_duty_hours_and_local_days(db):
    DutyPeriod.objects.all().delete()
    for weekday in range(5):
        DutyPeriod.objects.create(weekday=weekday, start=time(9, 0), end=time(12, 0))
        DutyPeriod.objects.create(weekday=weekday, start=time(14, 0), end=time(18, 0))
    CalendarDay.objects.create(date=date(2026, 3, 3), is_working_day=False, note="地方节日")

    cal = work_calendar()

    assert cal.working_day_length == timedelta(hours=7)
    assert cal.add(at(2026, 3, 2, 17, 0), 2 * H) == at(2026, 3, 4, 10, 0)


def test_work_calendar_falls_back_to_built_in_hours_when_none_are_configured(db):
    DutyPeriod.objects.all().delete()

    assert work_calendar().working_day_length == timedelta(hours=7.5)


# ---------------------------------------------------------------- properties
PROPERTY_CAL = WorkCalendar(
    periods=DEFAULT_DUTY_HOURS,
    overrides={date(2027, 1, 1): False, date(2027, 2, 6): True},
    tz=TZ,
)
instants = st.datetimes(
    min_value=datetime(2025, 11, 1), max_value=datetime(2027, 3, 1), timezones=st.just(TZ)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40))


@settings(max_examples=300, deadline=None)
@given(start=instants, duration=durations)
def test_property_elapsed_after_add_returns_the_duration(start, duration):
    assert PROPERTY_CAL.elapsed(start, PROPERTY_CAL.add(start, duration)) == duration


@settings(max_examples=300, deadline=None)
@given(a=instants, b=instants, c=instants)
def test_property_elapsed_is_additive_over_split_points(a, b, c):
    assert PROPERTY_CAL.elapsed(a, c) == PROPERTY_CAL.elapsed(a, b) + PROPERTY_CAL.elapsed(b, c)


@settings(max_examples=300, deadline=None)
@given(start=instants, d1=durations, d2=durations)
def test_property_add_is_monotonic_and_composes(start, d1, d2):
    short, long = sorted((d1, d2))

    assert PROPERTY_CAL.add(start, short) <= PROPERTY_CAL.add(start, long)
    assert PROPERTY_CAL.add(PROPERTY_CAL.add(start, d1), d2) == PROPERTY_CAL.add(start, d1 + d2)


@settings(max_examples=200, deadline=None)
@given(a=instants, b=instants)
def test_property_elapsed_never_exceeds_natural_time(a, b):
    low, high = sorted((a, b))

    assert timedelta(0) <= PROPERTY_CAL.elapsed(low, high) <= high - low

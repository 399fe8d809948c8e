"""The city's working-time calendar: duty hours, national holidays and make-up working days
(from the chinesecalendar library), local overrides, and arithmetic on working time."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings

from departments.defaults import DEFAULT_DUTY_HOURS

Periods = Mapping[int, Sequence[tuple[time, time]]]
NationalSchedule = Callable[[date], "bool | None"]

# A calendar with no working time for this long is misconfigured, not a long holiday.
MAX_IDLE_DAYS = 3660
ZERO = timedelta(0)


def national_is_working_day(day: date) -> bool | None:
    """Whether the State Council schedule makes `day` a working day (holidays and make-up days
    included), or None when the library does not know the year."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


@lru_cache(maxsize=64)
def national_knows_year(year: int) -> bool:
    """Whether the installed library carries the official schedule of `year`."""
    return national_is_working_day(date(year, 6, 30)) is not None


class WorkCalendar:
    """Working-time arithmetic for one city. Instants are aware datetimes; duty periods are wall
    clock times in the city's zone. Working time runs only inside duty periods of working days.

    A day is a working day when a local override says so; otherwise when the national schedule
    says so; for a year the library does not know, Monday to Friday.
    """

    def __init__(
        self,
        *,
        periods: Periods,
        overrides: Mapping[date, bool] | None = None,
        tz: tzinfo | None = None,
        national: NationalSchedule = national_is_working_day,
    ) -> None:
        self._periods = {wd: tuple(sorted(spans)) for wd, spans in periods.items() if spans}
        if not self._periods:
            raise ValueError("a work calendar needs at least one duty period")
        for spans in self._periods.values():
            for begin, end in spans:
                if end <= begin:
                    raise ValueError(f"duty period {begin}–{end} ends before it starts")
        self._overrides = dict(overrides or {})
        self.tz = tz or ZoneInfo(settings.TIME_ZONE)
        self._national = national
        self._cache: dict[date, tuple[tuple[datetime, datetime], ...]] = {}
        ordinary = next(wd for wd in range(7) if wd in self._periods)
        self._ordinary_spans = self._periods[ordinary]

    # ---------------------------------------------------------------- days
    def is_working_day(self, day: date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        national = self._national(day)
        if national is not None:
            return national
        return day.weekday() < 5

    def duty_periods(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The day's duty periods as UTC instants (empty on a day off)."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        if not self.is_working_day(day):
            spans: Sequence[tuple[time, time]] = ()
        else:
            # A make-up Saturday has no hours of its own: it works like an ordinary weekday.
            spans = self._periods.get(day.weekday(), self._ordinary_spans)
        result = tuple(
            (
                datetime.combine(day, begin, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC),
            )
            for begin, end in spans
        )
        self._cache[day] = result
        return result

    @property
    def working_day_length(self) -> timedelta:
        """The duty hours of an ordinary working day: what one "working day" of a limit means."""
        return sum(
            (
                datetime.combine(date.min, end) - datetime.combine(date.min, begin)
                for begin, end in self._ordinary_spans
            ),
            ZERO,
        )

    def _days_from(self, day: date) -> Iterator[date]:
        idle = 0
        while True:
            yield day
            idle = 0 if self.duty_periods(day) else idle + 1
            if idle > MAX_IDLE_DAYS:
                raise ValueError(f"no working time for {MAX_IDLE_DAYS} days after {day}")
            day += timedelta(days=1)

    # ---------------------------------------------------------------- arithmetic
    def add(self, start: datetime, duration: timedelta, *, natural: bool = False) -> datetime:
        """The instant at which `duration` of working time (or natural time) has passed since
        `start`. A result that falls exactly on the end of a duty period is that end, not the
        start of the next one. Whole days are consumed at once, so long durations are cheap."""
        _require_aware(start)
        if duration < ZERO:
            raise ValueError("duration must not be negative")
        if natural:
            return (start.astimezone(UTC) + duration).astimezone(self.tz)
        if duration == ZERO:
            return start.astimezone(self.tz)
        remaining = duration
        cursor = start.astimezone(UTC)
        for day in self._days_from(cursor.astimezone(self.tz).date()):
            for begin, end in self.duty_periods(day):
                if end <= cursor:
                    continue
                begin = max(begin, cursor)
                span = end - begin
                if remaining <= span:
                    return (begin + remaining).astimezone(self.tz)
                remaining -= span
        raise AssertionError("unreachable")  # pragma: no cover

    def elapsed(self, start: datetime, end: datetime, *, natural: bool = False) -> timedelta:
        """Working (or natural) time between two instants; negative when `end` precedes
        `start`, so that elapsed(a, c) == elapsed(a, b) + elapsed(b, c) always."""
        _require_aware(start)
        _require_aware(end)
        if natural:
            return end.astimezone(UTC) - start.astimezone(UTC)
        if end < start:
            return -self.elapsed(end, start)
        low, high = start.astimezone(UTC), end.astimezone(UTC)
        day = low.astimezone(self.tz).date()
        last = high.astimezone(self.tz).date()
        total = ZERO
        while day <= last:
            for begin, finish in self.duty_periods(day):
                overlap = min(finish, high) - max(begin, low)
                if overlap > ZERO:
                    total += overlap
            day += timedelta(days=1)
        return total

    def next_working_instant(self, start: datetime) -> datetime:
        """`start` itself inside duty hours, else the beginning of the next duty period."""
        _require_aware(start)
        cursor = start.astimezone(UTC)
        for day in self._days_from(cursor.astimezone(self.tz).date()):
            for begin, end in self.duty_periods(day):
                if end > cursor:
                    return max(begin, cursor).astimezone(self.tz)
        raise AssertionError("unreachable")  # pragma: no cover


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} is a naive datetime; working time needs aware datetimes")


def work_calendar() -> WorkCalendar:
    """The city's calendar as configured now: duty periods (built-in 08:30–12:00 and
    13:30–17:30 on weekdays when none are configured), local calendar days, settings.TIME_ZONE.
    Held by the process and read again only after a change (departments.worktime): one small
    query."""
    from departments.worktime import current_worktime

    return current_worktime().calendar


def read_work_calendar() -> WorkCalendar:
    """The calendar read from the database (two small queries)."""
    from departments.models import CalendarDay, DutyPeriod

    periods: dict[int, list[tuple[time, time]]] = {}
    for weekday, begin, end in DutyPeriod.objects.values_list("weekday", "start", "end"):
        periods.setdefault(weekday, []).append((begin, end))
    overrides = dict(CalendarDay.objects.values_list("date", "is_working_day"))
    return WorkCalendar(periods=periods or DEFAULT_DUTY_HOURS, overrides=overrides)

"""Working time: duty hours, the city's own calendar days, and time limits per step."""

from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DutyPeriod(models.Model):
    """One stretch of duty hours on a weekday, e.g. Monday 08:30–12:00. A day may have several
    (the lunch break is the gap between them). A make-up working day (调休) that falls on a
    weekend keeps the hours of Monday."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("星期一")
        TUESDAY = 1, _("星期二")
        WEDNESDAY = 2, _("星期三")
        THURSDAY = 3, _("星期四")
        FRIDAY = 4, _("星期五")
        SATURDAY = 5, _("星期六")
        SUNDAY = 6, _("星期日")

    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices)
    start = models.TimeField(_("开始"), help_text=_("Local time in the city's time zone."))
    end = models.TimeField(_("结束"), help_text=_("Local time; must be after the start."))

    class Meta:
        verbose_name = _("值班时段")
        verbose_name_plural = _("值班时段")
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="duty_end_after"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="duty_weekday_0_6"),
            models.UniqueConstraint(fields=["weekday", "start"], name="duty_weekday_start_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class CalendarDay(models.Model):
    """A local holiday or override of the national schedule: it wins over the library, and is
    how a city enters a year the library does not know yet."""

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(
        _("工作日"), help_text=_("Ticked: a working day (e.g. a make-up day); clear: a day off.")
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("本地日历")
        verbose_name_plural = _("本地日历")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_working_day else '休息'} {self.note}".strip()


class CalendarYear(models.Model):
    """A year whose holidays the city has entered itself as calendar days, because the
    national-schedule library does not know it yet."""

    class Status(models.TextChoices):
        PROVISIONAL = "provisional", _("预估")
        CONFIRMED = "confirmed", _("已按国务院通知核对")

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    status = models.CharField(
        _("状态"),
        max_length=16,
        choices=Status.choices,
        default=Status.CONFIRMED,
        help_text=_(
            "Confirmed once every holiday and make-up day of the official notice has been "
            "entered as a local calendar day; provisional years still raise the warning."
        ),
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("年度节假日安排")
        verbose_name_plural = _("年度节假日安排")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year} {self.get_status_display()}"


class TimeLimit(models.Model):
    """A time limit (时限) for one step of the loop, optionally for one category and urgency.
    The most specific row wins: category and urgency, then category, then urgency, then the
    step's default row (no category, any urgency)."""

    class Step(models.TextChoices):
        VERIFY = "verify", _("核实")
        ACCEPT = "accept", _("受理")
        FILE = "file", _("立案")
        DISPATCH = "dispatch", _("派遣")
        HANDLE = "handle", _("处置")
        REINSPECT = "reinspect", _("核查")
        CLOSE = "close", _("结案")

    class Urgency(models.TextChoices):
        URGENT = "urgent", _("紧急")
        NORMAL = "normal", _("一般")
        ENGINEERING = "engineering", _("工程类")

    class Unit(models.TextChoices):
        WORKING_MINUTES = "working_minutes", _("工作分钟")
        WORKING_HOURS = "working_hours", _("工作小时")
        WORKING_DAYS = "working_days", _("工作日")
        NATURAL_HOURS = "natural_hours", _("自然小时")

    step = models.CharField(_("环节"), max_length=16, choices=Step.choices)
    category = models.ForeignKey(
        "grids.Category",
        verbose_name=_("类别"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="time_limits",
        help_text=_("Empty: the step's limit for every category without a row of its own."),
    )
    urgency = models.CharField(
        _("紧急程度"),
        max_length=16,
        choices=Urgency.choices,
        blank=True,
        help_text=_("Empty: any urgency."),
    )
    amount = models.PositiveIntegerField(_("时限数值"))
    unit = models.CharField(
        _("单位"),
        max_length=16,
        choices=Unit.choices,
        help_text=_(
            "Working units run only during duty hours on working days; one working day is one "
            "ordinary day's duty hours (Monday's, e.g. 7.5 hours for 08:30–12:00 and "
            "13:30–17:30). Natural hours run around the clock, for emergencies."
        ),
    )
    note = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("时限")
        verbose_name_plural = _("时限")
        ordering = ["step", "category", "urgency"]
        constraints = [
            models.UniqueConstraint(
                fields=["step", "category", "urgency"],
                nulls_distinct=False,
                name="time_limit_step_category_urgency_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="time_limit_amount_positive"),
        ]

    def __str__(self) -> str:
        category = self.category.code if self.category_id else "*"
        return (
            f"{self.get_step_display()} {category} {self.urgency or '*'}: "
            f"{self.amount} {self.get_unit_display()}"
        )

    @property
    def is_natural(self) -> bool:
        return self.unit == self.Unit.NATURAL_HOURS

    def duration(self, *, working_day: timedelta) -> timedelta:
        """The limit as a duration of working (or natural) time."""
        if self.unit == self.Unit.WORKING_MINUTES:
            return timedelta(minutes=self.amount)
        if self.unit == self.Unit.WORKING_DAYS:
            return working_day * self.amount
        return timedelta(hours=self.amount)

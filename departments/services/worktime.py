"""Writes of working time: the local calendar, time limits, and the warning about a year whose
holiday schedule is unknown; plus the idempotent loaders of the built-in values."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from departments import seeding
from departments.models import CalendarDay, CalendarYear, DutyPeriod, TimeLimit
from departments.roles import Role
from departments.selectors import calendar_unknown_years, users_with_role
from departments.services._common import require_role, validated
from departments.services.notices import notify
from grids.models import Category


@transaction.atomic
def calendar_day_set(
    *, actor: AbstractBaseUser | None, day: date, is_working_day: bool, note: str = ""
) -> CalendarDay:
    """Records a local holiday (False) or working day (True) that wins over the library."""
    require_role(actor, Role.ADMINISTRATOR)
    row, created = CalendarDay.objects.select_for_update().get_or_create(
        date=day, defaults={"is_working_day": is_working_day, "note": note}
    )
    if not created:
        row.is_working_day = is_working_day
        row.note = note
        row.save(update_fields=["is_working_day", "note"])
    return row


@transaction.atomic
def calendar_year_set(
    *, actor: AbstractBaseUser | None, year: int, status: str, note: str = ""
) -> CalendarYear:
    """Marks a year the library does not know as entered locally (provisional or confirmed)."""
    require_role(actor, Role.ADMINISTRATOR)
    row, created = CalendarYear.objects.select_for_update().get_or_create(
        year=year, defaults={"status": status, "note": note}
    )
    if not created:
        row.status = status
        row.note = note
        row.save(update_fields=["status", "note"])
    validated(row)
    return row


def calendar_schedule_warn(*, today: date | None = None) -> int:
    """Tells administrators (once a week per year) when a year starting within the warning
    window has no known holiday schedule; returns the number of notices stored."""
    today = today or timezone.localdate()
    years = calendar_unknown_years(today=today)
    if not years:
        return 0
    admins = list(users_with_role(role=Role.ADMINISTRATOR))
    week = today.isocalendar()
    stored = 0
    for year in years:
        stored += notify(
            recipients=admins,
            kind="calendar_schedule_unknown",
            title=_("%(year)d 年节假日安排尚未录入") % {"year": year},
            body=_(
                "工作日历不知道 %(year)d 年的法定节假日和调休安排（已安装的 chinesecalendar 尚不"
                "包含该年）。在录入前，该年按周一至周五上班计算时限。请按国务院办公厅通知在"
                "管理后台“本地日历”中录入节假日和调休上班日，再在“年度节假日安排”中将该年标记为"
                "已核对。"
            )
            % {"year": year},
            link="/admin/departments/calendarday/",
            dedupe_key=f"calendar-unknown-{year}-{week.year}-W{week.week:02d}",
        )
    return stored


@transaction.atomic
def time_limit_set(
    *,
    actor: AbstractBaseUser | None,
    step: str,
    category: Category | None,
    urgency: str,
    amount: int,
    unit: str,
    note: str = "",
) -> TimeLimit:
    """Creates or changes the limit of one (step, category, urgency)."""
    require_role(actor, Role.ADMINISTRATOR)
    row = (
        TimeLimit.objects.select_for_update()
        .filter(step=step, category=category, urgency=urgency)
        .order_by("pk")
        .first()
    ) or TimeLimit(step=step, category=category, urgency=urgency)
    row.amount, row.unit, row.note = amount, unit, note
    validated(row)
    row.save()
    return row


@transaction.atomic
def time_limit_update(*, actor: AbstractBaseUser | None, limit: TimeLimit, **changes) -> TimeLimit:
    require_role(actor, Role.ADMINISTRATOR)
    row = TimeLimit.objects.select_for_update().get(pk=limit.pk)
    for name, value in changes.items():
        setattr(row, name, value)
    validated(row)
    row.save(update_fields=list(changes) or None)
    return row


@transaction.atomic
def working_time_defaults_load() -> int:
    """Reloads the default duty hours and time limits where missing (idempotent); for tests
    after a flush and for the demo. Returns the number of rows created."""
    return seeding.load_duty_hours(DutyPeriod) + seeding.load_time_limits(TimeLimit, Category)


@transaction.atomic
def roles_sync() -> int:
    """(Re)creates each role's group with its permissions (idempotent). Run it again after an
    app adds models, so its permissions reach the groups."""
    return seeding.sync_role_groups(Group, Permission)

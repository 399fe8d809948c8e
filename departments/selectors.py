"""Reads of the departments app: the one scoping selector, time limits, patrol areas, people by
role, and whether the calendar knows next year."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from departments.calendar import WorkCalendar, national_knows_year
from departments.defaults import DEFAULT_STEP_LIMITS
from departments.models import (
    CalendarYear,
    Department,
    Notice,
    PatrolAssignment,
    ResponsibilityRule,
    TimeLimit,
)
from departments.roles import COMMAND_CENTRE_ROLES, Role
from departments.worktime import current_worktime
from grids.models import Category, Grid

User = get_user_model()

# Roles whose holders see every case in the city: the command centre's desks and administrators.
SEES_ALL_ROLES = COMMAND_CENTRE_ROLES | {Role.ADMINISTRATOR}


@dataclass(frozen=True)
class Scope:
    """What a person may see. Pages and APIs filter by it and never work it out themselves.

    - `sees_all`: command-centre roles and administrators see everything.
    - `department_ids`: the person's department (with its sub-departments for a department lead).
    - `patrol_grid_ids`: the grids an inspector patrols today.
    - `area_codes`: code prefixes (district/street/community) a supervisor oversees;
      `sees_all_areas` is true when the supervisor oversees the whole city.
    """

    roles: frozenset[Role] = frozenset()
    department_ids: frozenset[int] = frozenset()
    patrol_grid_ids: frozenset[int] = frozenset()
    area_codes: frozenset[str] = frozenset()
    sees_all: bool = False
    sees_all_areas: bool = False
    user_id: int | None = field(default=None, compare=False)

    def has(self, role: Role | str) -> bool:
        return Role(role) in self.roles

    def has_any(self, *roles: Role | str) -> bool:
        return any(self.has(role) for role in roles)

    def covers_area_code(self, code: str) -> bool:
        """Whether a grid or area code lies inside the supervised areas."""
        return self.sees_all or self.sees_all_areas or code.startswith(tuple(self.area_codes))


NO_SCOPE = Scope()


def user_roles(*, user: AbstractBaseUser | AnonymousUser) -> frozenset[Role]:
    """The roles a user holds through their groups (a superuser holds administrator)."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    return _roles(user=user, group_names=user.groups.values_list("name", flat=True))


def _roles(*, user: AbstractBaseUser, group_names: Iterable[str]) -> frozenset[Role]:
    names = set(group_names)
    roles = {role for role in Role if role.value in names}
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR)
    return frozenset(roles)


def user_scope(*, user: AbstractBaseUser | AnonymousUser, on: date | None = None) -> Scope:
    """The ONE scoping selector: what `user` may see on day `on` (today by default).

    Every request asks it, so one plain statement reads what it needs (the user's groups, their
    department, the grids they patrol that day and the areas they supervise) rather than an ORM
    query each: building those queries cost more than running them (about 2 ms a request,
    bench/RESULTS.md, eighth round). Only a department lead's sub-departments take more."""
    if not user.is_authenticated or not user.is_active:
        return NO_SCOPE
    day = on or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(SCOPE_SQL, {"user": user.pk, "day": day})
        group_names, department_id, patrol_ids, supervised_codes = cursor.fetchone()
    roles = _roles(user=user, group_names=group_names)
    if not roles:
        return NO_SCOPE
    # An account without a Person row (e.g. a bare superuser) belongs to no department.
    department_ids: set[int] = set()
    if department_id is not None:
        department_ids.add(department_id)
        if Role.DEPARTMENT_LEAD in roles:
            department_ids |= _descendant_ids(department_id)
    patrol = frozenset(patrol_ids) if Role.INSPECTOR in roles else frozenset()
    sees_all = bool(roles & SEES_ALL_ROLES)
    area_codes: frozenset[str] = frozenset()
    sees_all_areas = sees_all
    if Role.SUPERVISOR in roles and not sees_all:
        area_codes = frozenset(supervised_codes)
        sees_all_areas = not area_codes
    return Scope(
        roles=roles,
        department_ids=frozenset(department_ids),
        patrol_grid_ids=patrol,
        area_codes=area_codes,
        sees_all=sees_all,
        sees_all_areas=sees_all_areas,
        user_id=user.pk,
    )


# The statement behind user_scope. A patrol is in force on the day as in
# PatrolAssignmentQuerySet.on(); tests/departments/test_scope.py checks the two agree.
SCOPE_SQL = """
    SELECT ARRAY(SELECT g.name FROM auth_user_groups ug JOIN auth_group g ON g.id = ug.group_id
                  WHERE ug.user_id = %(user)s),
           (SELECT p.department_id FROM departments_person p WHERE p.user_id = %(user)s),
           ARRAY(SELECT pa.grid_id FROM departments_patrolassignment pa
                  WHERE pa.inspector_id = %(user)s AND pa.valid_from <= %(day)s
                    AND (pa.valid_to IS NULL OR pa.valid_to > %(day)s)),
           ARRAY(SELECT a.code FROM departments_person p
                   JOIN departments_person_supervised_areas s ON s.person_id = p.id
                   JOIN grids_area a ON a.id = s.area_id
                  WHERE p.user_id = %(user)s)
"""


def _descendant_ids(department_id: int) -> set[int]:
    found: set[int] = set()
    frontier = {department_id}
    while frontier:
        children = set(
            Department.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
        )
        frontier = children - found - {department_id}
        found |= frontier
    return found


def departments_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Department]:
    """Departments are public inside the platform: every signed-in person sees the list."""
    if not user.is_authenticated:
        return Department.objects.none()
    return Department.objects.select_related("parent", "area")


def rules_for_user(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[ResponsibilityRule]:
    if not user.is_authenticated:
        return ResponsibilityRule.objects.none()
    return (
        ResponsibilityRule.objects.in_order().select_related("lead").prefetch_related("assisting")
    )


def users_with_role(*, role: Role | str, department: Department | None = None) -> QuerySet:
    """Active users holding `role`, optionally only those of one department."""
    users = User.objects.filter(is_active=True, groups__name=Role(role).value)
    if department is not None:
        users = users.filter(person__department=department)
    return users.distinct().order_by("pk")


# ---------------------------------------------------------------- patrol areas
def inspectors_for_grid(*, grid: Grid, on: date | None = None) -> QuerySet:
    """Who patrolled (or patrols) `grid` on day `on` (today by default)."""
    day = on or timezone.localdate()
    assigned = PatrolAssignment.objects.on(day).filter(grid=grid, inspector=OuterRef("pk"))
    return User.objects.filter(Exists(assigned)).order_by("pk")


def grids_patrolled_by(*, inspector: AbstractBaseUser, on: date | None = None) -> QuerySet[Grid]:
    day = on or timezone.localdate()
    assigned = PatrolAssignment.objects.on(day).filter(inspector=inspector, grid=OuterRef("pk"))
    return Grid.objects.filter(Exists(assigned)).order_by("code")


def grids_without_inspector(*, on: date | None = None, area_code: str = "") -> QuerySet[Grid]:
    """Grids in force on day `on` that nobody patrols (the gap list), optionally inside one
    district, street or community (by code prefix)."""
    day = on or timezone.localdate()
    assigned = PatrolAssignment.objects.on(day).filter(grid=OuterRef("pk"))
    grids = Grid.objects.current(on=day).filter(~Exists(assigned))
    if area_code:
        grids = grids.filter(code__startswith=area_code)
    return grids.select_related("community").order_by("code")


# ---------------------------------------------------------------- time limits
@dataclass(frozen=True)
class Limit:
    """A step's time limit: `duration` of working time, or of natural time when `natural`."""

    duration: timedelta
    natural: bool
    source: str


def time_limit_for(
    *,
    step: TimeLimit.Step | str,
    category: Category | None,
    urgency: TimeLimit.Urgency | str,
    calendar: WorkCalendar | None = None,
) -> Limit:
    """The most specific limit: (category, urgency), (category, any urgency), (no category,
    urgency), then the step's default row; built-in defaults if the table lacks even that.
    A limit in working days is as long as `calendar`'s working day (the city's by default)."""
    step = TimeLimit.Step(step)
    urgency = TimeLimit.Urgency(urgency) if urgency else ""
    worktime = current_worktime()
    category_id = category.pk if category is not None else None
    keys = [(step.value, None, urgency.value if urgency else ""), (step.value, None, "")]
    if category_id is not None:
        keys[:0] = [(step.value, category_id, keys[0][2]), (step.value, category_id, "")]
    best = next((worktime.limits[key] for key in keys if key in worktime.limits), None)
    if best is None:
        best = _built_in_limit(step=step, urgency=urgency)
    working_day = timedelta(0)
    if best.unit == TimeLimit.Unit.WORKING_DAYS:
        working_day = (calendar or worktime.calendar).working_day_length
    duration = best.duration(working_day=working_day)
    return Limit(duration=duration, natural=best.is_natural, source=_describe(best))


def _built_in_limit(*, step: str, urgency: str) -> TimeLimit:
    candidates = [row for row in DEFAULT_STEP_LIMITS if row[0] == step]
    chosen = next((row for row in candidates if row[1] == urgency), None) or next(
        row for row in candidates if row[1] == ""
    )
    _, row_urgency, amount, unit, note = chosen
    return TimeLimit(step=step, urgency=row_urgency, amount=amount, unit=unit, note=note)


def _describe(row: TimeLimit) -> str:
    where = f"时限 #{row.pk}" if row.pk else "内置默认时限"
    category = f"{row.category.code} {row.category.name}" if row.category_id else "全部类别"
    urgency = row.get_urgency_display() if row.urgency else "任意紧急程度"
    return (
        f"{where}：{row.get_step_display()} / {category} / {urgency} = "
        f"{row.amount} {row.get_unit_display()}"
    )


def time_limits_list() -> QuerySet[TimeLimit]:
    return TimeLimit.objects.select_related("category").order_by("step", "category__code", "pk")


# ---------------------------------------------------------------- calendar
def calendar_year_is_known(*, year: int) -> bool:
    """Whether the holidays of `year` are known: from the library, or confirmed locally."""
    if national_knows_year(year):
        return True
    return CalendarYear.objects.filter(year=year, status=CalendarYear.Status.CONFIRMED).exists()


def calendar_unknown_years(*, today: date | None = None, weeks: int | None = None) -> list[int]:
    """Years whose schedule is unknown although they start within `weeks` weeks of `today`
    (settings.GRIDCITY_CALENDAR_WARN_WEEKS by default); this year is always checked."""
    today = today or timezone.localdate()
    weeks = settings.GRIDCITY_CALENDAR_WARN_WEEKS if weeks is None else weeks
    horizon = today + timedelta(weeks=weeks)
    years = range(today.year, horizon.year + 1)
    return [year for year in years if not calendar_year_is_known(year=year)]


# ---------------------------------------------------------------- notices
def notices_for_user(*, user: AbstractBaseUser) -> QuerySet[Notice]:
    return Notice.objects.filter(recipient=user).order_by("-created_at", "-pk")

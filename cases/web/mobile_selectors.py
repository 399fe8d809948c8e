"""Reads of the inspector's phone workspace, all built on cases.selectors.case_list_for_user and
the reader's scope: the tasks waiting in my grids, my own reports, the actions a task offers me,
and what lies under a point on the map."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.gis.geos import Point
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import clock, workflow
from cases.models import Case, CasePhoto
from cases.selectors import case_get_for_user, case_list_for_user, scope_for
from cases.workflow import Action, Status
from departments.roles import Role
from departments.selectors import Scope
from gridcity.errors import DomainError, NotFound
from grids.models import Category, Grid
from grids.selectors import category_list, components_near, grid_for_point, grid_list

# What an inspector is sent out to check on site, and the answers the phone offers to each.
TASK_STATUSES = (Status.AWAITING_VERIFICATION, Status.AWAITING_REINSPECTION)
TASK_ACTIONS = (
    Action.VERIFY_PASS,
    Action.VERIFY_FAIL,
    Action.REINSPECT_PASS,
    Action.REINSPECT_FAIL,
)
# Components farther than this from the tapped point are not offered to pick.
NEAR_METRES = 50.0
NEAR_LIMIT = 8


def is_inspector(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.is_authenticated and scope_for(user).has(Role.INSPECTOR)


def inspector_task_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Case]:
    """Verification and re-inspection tasks in the grids the inspector patrols today, the
    soonest deadline first."""
    scope = scope_for(user)
    if not scope.has(Role.INSPECTOR):
        return Case.objects.none()
    return (
        case_list_for_user(user=user)
        .filter(status__in=TASK_STATUSES, grid_id__in=scope.patrol_grid_ids)
        .order_by("step_deadline", "reported_at", "pk")
    )


def inspector_report_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Case]:
    """The cases this person reported, newest first."""
    if not user.is_authenticated:
        return Case.objects.none()
    return case_list_for_user(user=user).filter(reporter_id=user.pk).order_by("-reported_at", "-pk")


def task_actions_for(*, scope: Scope, case: Case) -> list[Action]:
    """The task answers the workflow table lets this person give on this case right now."""
    if case.grid_id not in scope.patrol_grid_ids:
        return []
    allowed = workflow.allowed_actions(case.status, scope.roles, pending=case.pending)
    return [action for action in TASK_ACTIONS if action in allowed]


@dataclass(frozen=True)
class Task:
    case: Case
    actions: list[Action]
    photos: list[CasePhoto] = field(default_factory=list)


def inspector_task_get(*, user: AbstractBaseUser | AnonymousUser, case_id: int) -> Task:
    """One task of mine with what I may answer; NotFound when it is not a task of mine now."""
    case = case_get_for_user(user=user, case_id=case_id)
    actions = task_actions_for(scope=scope_for(user), case=case)
    if not actions:
        raise NotFound(_("该任务不存在，或已不需要您处理。"), code="task_not_found")
    return Task(case=case, actions=actions, photos=list(case.photos.all()))


def patrol_grid_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Grid]:
    """The grids the person patrols today (drawn highlighted on the map)."""
    scope = scope_for(user)
    return grid_list(on=timezone.localdate(clock.now())).filter(pk__in=scope.patrol_grid_ids)


def report_category_list() -> QuerySet[Category]:
    """Categories a new report may use today."""
    return category_list(active_on=timezone.localdate(clock.now())).only(
        "id", "kind", "code", "name", "search_keys"
    )


@dataclass(frozen=True)
class PointInfo:
    grid: Grid | None
    message: str
    components: list[dict[str, object]]


def point_info(*, point: Point, category: Category | None) -> PointInfo:
    """The grid under a tapped point (or why there is none) and, for a component category, the
    registered components of that category nearby, nearest first."""
    try:
        grid = grid_for_point(point=point, on=timezone.localdate(clock.now()))
    except DomainError as exc:
        return PointInfo(grid=None, message=exc.message, components=[])
    components: list[dict[str, object]] = []
    if category is not None and category.kind == Category.Kind.COMPONENT:
        near = components_near(point=point, meters=NEAR_METRES, category=category)
        components = [
            {
                "identifier": c.identifier,
                "name": c.name or c.category.name,
                "distance_m": round(c.distance_m),
            }
            for c in near[:NEAR_LIMIT]
        ]
    return PointInfo(grid=grid, message="", components=components)

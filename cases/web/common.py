"""What the desk pages share: who may open a workspace, the filtered and paginated case list,
the traffic-light badge, the case drawer with the actions its reader may take now, the thin
view that runs one action through its service, scoped photos and the "what changed" cursor."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Max, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cases import clock
from cases.filters import CaseFilter
from cases.models import Case, CaseEvent, CasePhoto, TimerColour
from cases.selectors import (
    case_get_for_user,
    case_photo_get_for_user,
    may_see_contact,
    scope_for,
)
from cases.services import (
    ACTION_SERVICES,
    authorise,
    case_duplicate_candidates,
    scope_check,
    timer_state,
)
from cases.web.dispatch_forms import ACTION_FORMS, ActionForm
from cases.workflow import (
    CLOCK_STOPPED,
    Action,
    Pending,
    Status,
    allowed_actions,
    target,
    transition_for,
)
from departments.calendar import WorkCalendar, work_calendar
from departments.roles import Role
from departments.selectors import Scope
from gridcity.errors import DomainError, NotFound, NotPermitted
from gridcity.geo import Lat, Lon
from grids.selectors import in_bbox
from grids.spatial import BBox, parse_bbox

PAGE_SIZE = 25
MAP_LIMIT = 2000
# The API's filters shown in the pages' filter form (status and step are the queues' own).
FILTER_FIELDS = (
    "number",
    "category_code",
    "area",
    "urgency",
    "timer_colour",
    "source",
    "kind",
    "reported_after",
    "reported_before",
    "duplicate",
    "urged",
)

# Photos taken before the work (the report and its verification) and after it.
BEFORE_STAGES = frozenset({CasePhoto.Stage.REPORT, CasePhoto.Stage.VERIFICATION})
AFTER_STAGES = frozenset({CasePhoto.Stage.HANDLING_AFTER, CasePhoto.Stage.REINSPECTION})
# Decisions a department waits for, shown in its drawer as "the answer".
DECISIONS = frozenset(
    {
        Action.APPROVE_SENDBACK,
        Action.DENY_SENDBACK,
        Action.APPROVE_EXTENSION,
        Action.DENY_EXTENSION,
        Action.APPROVE_SUSPENSION,
        Action.DENY_SUSPENSION,
    }
)


# ---------------------------------------------------------------- access
def workspace(
    roles: Iterable[Role],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed-in people holding one of ``roles`` (administrators always) may open the page;
    their scope is read once and kept on the request."""
    allowed = frozenset(roles) | {Role.ADMINISTRATOR}

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            scope = scope_for(request.user)
            if not scope.roles & allowed:
                raise PermissionDenied(_("您的角色不能使用此工作台。"))
            request.scope = scope  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


# ---------------------------------------------------------------- timers
@dataclass(frozen=True)
class Timer:
    """A case's light now and the working (or natural) time left in its step."""

    colour: str
    remaining: int | None  # seconds; negative when overdue; None when the step is not timed
    stopped: bool
    natural: bool

    @property
    def label(self) -> str:
        return str(TimerColour(self.colour).label) if self.colour else str(_("不计时"))

    @property
    def text(self) -> str:
        if self.remaining is None:
            return "—"
        seconds = abs(self.remaining)
        hours, minutes = seconds // 3600, seconds % 3600 // 60
        span = (
            _("%(h)d小时%(m)02d分") % {"h": hours, "m": minutes}
            if hours
            else _("%(m)d分") % {"m": minutes}
        )
        # Past the deadline outside working hours no working time is overdue yet: still late.
        overdue = self.remaining < 0 or (self.remaining == 0 and self.colour == TimerColour.RED)
        return _("超时 %(t)s") % {"t": span} if overdue else _("剩余 %(t)s") % {"t": span}


def timer_of(case: Case, *, calendar: WorkCalendar, now: datetime) -> Timer:
    state = timer_state(case=case, calendar=calendar, now=now)
    if not state.colour or case.step_deadline is None:
        return Timer("", None, False, False)
    stopped = case.status in CLOCK_STOPPED
    until = case.suspended_at if stopped and case.suspended_at else now
    left = calendar.elapsed(until, case.step_deadline, natural=case.step_natural)
    return Timer(state.colour, int(left.total_seconds()), stopped, case.step_natural)


def with_timers(cases: Iterable[Case]) -> list[Case]:
    """The page's cases, each with ``timer`` set; one calendar for the whole page."""
    calendar, now = work_calendar(), clock.now()
    rows = list(cases)
    for case in rows:
        case.timer = timer_of(case, calendar=calendar, now=now)  # type: ignore[attr-defined]
    return rows


# ---------------------------------------------------------------- lists
@dataclass
class CaseList:
    filterset: CaseFilter
    page: Page
    rows: list[Case]
    query: str  # the filters as a query string, without the page number


def filtered(request: HttpRequest, cases: QuerySet[Case]) -> CaseFilter:
    """The API's own filters on an already scoped queryset (invalid values are ignored)."""
    filterset = CaseFilter(request.GET or None, queryset=cases)
    return filterset


def filtered_qs(filterset: CaseFilter) -> QuerySet[Case]:
    if filterset.is_bound and filterset.is_valid():
        return filterset.qs
    return filterset.queryset


def case_list_page(request: HttpRequest, filterset: CaseFilter, cases: QuerySet[Case]) -> CaseList:
    paginator = Paginator(cases, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return CaseList(filterset, page, with_timers(page.object_list), params.urlencode())


def urgent_first(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.order_by(
        "step_deadline",
        "-reported_at",
        "-pk",
    )


def viewport(value: str | None) -> BBox | None:
    """The map's ``bbox=west,south,east,north`` (WGS84 degrees), or None when not asked for;
    ValidationFailed says what is wrong with a malformed one."""
    return parse_bbox(value) if value else None


def geojson(cases: QuerySet[Case], *, bbox: BBox | None = None) -> JsonResponse:
    """The filtered cases as points, at most MAP_LIMIT of them (the most urgent first); with
    ``bbox``, only those in the map's view, read through the spatial index. The coordinates
    come from the database as numbers (no geometry object per point) and each status is
    translated once: at 2,000 points those were most of the time spent in Python."""
    if bbox is not None:
        cases = in_bbox(cases, field="location", bbox=bbox)
    rows = list(
        urgent_first(cases).values_list(
            "pk",
            "number",
            "status",
            "timer_colour",
            "category__name",
            Lon("location"),
            Lat("location"),
        )[: MAP_LIMIT + 1]
    )
    labels = {status: str(status.label) for status in Status}
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "id": pk,
                "number": number,
                "status": labels[status],
                "colour": colour,
                "category": category,
            },
        }
        for pk, number, status, colour, category, lon, lat in rows[:MAP_LIMIT]
    ]
    return JsonResponse(
        {"type": "FeatureCollection", "features": features, "truncated": len(rows) > MAP_LIMIT}
    )


def change_cursor(cases: QuerySet[Case], scope: Scope) -> int:
    """The newest event on a case the person may see: it moves when a case is reported or
    changes status, so a page polls it cheaply and reloads its list only when it moved."""
    events = CaseEvent.objects.all()
    if not scope.sees_all:
        events = events.filter(case__in=cases.values("pk"))
    return events.aggregate(m=Max("pk"))["m"] or 0


# ---------------------------------------------------------------- drawer
def actions_for(*, scope: Scope, case: Case) -> list[Action]:
    """The actions this person may take on the case now: the table, their roles and their
    scope (department, patrol grid, area), the same checks the services make."""
    found = []
    for action in allowed_actions(case.status, scope.roles, pending=case.pending):
        try:
            scope_check(scope=scope, case=case, row=transition_for(action))
        except NotPermitted:
            continue
        if action in ACTION_FORMS:
            found.append(action)
    return found


def precheck(request: HttpRequest, case: Case, action: Action) -> None:
    """The services' own refusals (role, status, scope) for a form that does not validate, so
    that a person who may not act is told so rather than asked to fill in fields."""
    authorise(actor=request.user, action=action, now=clock.now())
    target(case.status, action, pending=case.pending)
    scope_check(scope=request.scope, case=case, row=transition_for(action))  # type: ignore[attr-defined]


def drawer_context(
    request: HttpRequest,
    case: Case,
    *,
    forms: dict[Action, ActionForm] | None = None,
) -> dict[str, Any]:
    scope: Scope = request.scope  # type: ignore[attr-defined]
    photos = list(case.photos.all())
    events = list(case.events.all())
    actions = actions_for(scope=scope, case=case)
    forms = forms or {}
    action_forms = [
        (action, forms.get(action) or ACTION_FORMS[action].for_case(case, action))
        for action in actions
    ]
    duplicates = (
        list(
            case_duplicate_candidates(case=case)
            .select_related("category")
            .only("pk", "number", "status", "reported_at", "category__name")[:5]
        )
        if case.status not in (Status.CLOSED, Status.VOIDED, Status.NOT_ACCEPTED)
        else []
    )
    pending_reason = case.pending_data.get("reason", "") if case.pending else ""
    pending_until = case.pending_data.get("until", "") if case.pending else ""
    return {
        "case": case,
        "timer": with_timers([case])[0].timer,  # type: ignore[attr-defined]
        "before": [p for p in photos if p.stage in BEFORE_STAGES],
        "after": [p for p in photos if p.stage in AFTER_STAGES],
        "events": events,
        "answers": [e for e in events if e.action in DECISIONS],
        "duplicates": duplicates,
        "action_forms": action_forms,
        "contact": may_see_contact(scope),
        "pending_label": Pending(case.pending).label if case.pending else "",
        "pending_reason": pending_reason,
        "pending_until": datetime.fromisoformat(pending_until) if pending_until else None,
        "base": request.desk_base,  # type: ignore[attr-defined]
    }


def render_drawer(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """The drawer as a fragment for htmx, or inside a whole page when scripts are off (its links
    and forms then work as plain navigation and posts)."""
    if request.headers.get("HX-Request"):
        return render(request, template, context, status=status)
    page = {**context, "fragment": template, "back": request.desk_base}  # type: ignore[attr-defined]
    return render(request, "cases/drawer_page.html", page, status=status)


def drawer_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        case = case_get_for_user(user=request.user, case_id=pk)
    except NotFound as exc:
        return render_drawer(
            request, "cases/_drawer_gone.html", {"message": exc.message}, status=404
        )
    return render_drawer(request, "cases/_drawer.html", drawer_context(request, case))


def action_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Parse the action's form, call its one service, re-render the drawer (with the error when
    the service refuses: 400, 403 or 409, and nothing changed)."""
    try:
        chosen = Action(action)
    except ValueError:
        return render_drawer(
            request, "cases/_drawer_gone.html", {"message": _("未知的操作。")}, status=404
        )
    try:
        case = case_get_for_user(user=request.user, case_id=pk)
    except NotFound as exc:
        return render_drawer(
            request, "cases/_drawer_gone.html", {"message": exc.message}, status=404
        )
    form_class = ACTION_FORMS.get(chosen)
    if form_class is None:
        raise PermissionDenied(_("此操作不能在本页面办理。"))
    form = form_class(request.POST, request.FILES, case=case, action=chosen)
    if not form.is_valid():
        try:
            precheck(request, case, chosen)
        except DomainError as exc:
            context = drawer_context(request, case)
            context["error"] = exc.message
            return render_drawer(request, "cases/_drawer.html", context, status=exc.http_status)
        context = drawer_context(request, case, forms={chosen: form})
        context["error"] = _("请检查“%(action)s”的填写。") % {"action": chosen.label}
        return render_drawer(request, "cases/_drawer.html", context, status=400)
    try:
        ACTION_SERVICES[chosen](case_id=case.pk, actor=request.user, **form.arguments())
    except DomainError as exc:
        case = case_get_for_user(user=request.user, case_id=pk)
        context = drawer_context(request, case, forms={chosen: form})
        context["error"] = exc.message
        return render_drawer(request, "cases/_drawer.html", context, status=exc.http_status)
    done = _("已办理：%(action)s") % {"action": chosen.label}
    try:
        case = case_get_for_user(user=request.user, case_id=pk)
    except NotFound:
        response = render_drawer(
            request,
            "cases/_drawer_gone.html",
            {"message": done + _("。案件已移出您的范围。"), "success": True},
        )
    else:
        context = drawer_context(request, case)
        context["success"] = done
        response = render_drawer(request, "cases/_drawer.html", context)
    response["HX-Trigger"] = "desk:refresh"
    return response


def photo_view(request: HttpRequest, pk: int, thumb: bool = False) -> FileResponse:
    """A case photo for whoever may see its case (media is not served to everyone)."""
    try:
        photo = case_photo_get_for_user(
            user=request.user, photo_id=pk, scope=getattr(request, "scope", None)
        )
    except NotFound as exc:
        raise PermissionDenied(exc.message) from exc
    field, content_type = photo.served(thumbnail=thumb)
    return FileResponse(field.open("rb"), content_type=content_type)


def changes_view(request: HttpRequest, cases: QuerySet[Case]) -> JsonResponse:
    return JsonResponse({"cursor": change_cursor(cases, request.scope)})  # type: ignore[attr-defined]


def desk_views(
    roles: Iterable[Role], base: Callable[[], str]
) -> dict[str, Callable[..., HttpResponse]]:
    """The drawer, action, photo and changes views of one workspace, behind its role check."""
    guard = workspace(roles)

    def with_base(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            request.desk_base = base()  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return guard(wrapped)

    return {
        "drawer": with_base(require_GET(drawer_view)),
        "action": with_base(require_POST(action_view)),
        "photo": with_base(require_GET(photo_view)),
    }


def visible_ids(cases: QuerySet[Case], ids: Iterable[str]) -> list[int]:
    wanted = [int(i) for i in ids if str(i).isdigit()]
    return list(cases.filter(pk__in=wanted).values_list("pk", flat=True))

"""The department's page (/dept/): its cases being handled, by traffic-light colour, with the
drawer to report handled (with "after" photos) or ask for a send-back, extension or
suspension, and to read the dispatcher's answer."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cases.models import Case, TimerColour
from cases.selectors import case_list_for_user
from cases.web import common
from cases.workflow import Status
from departments.roles import Role
from departments.selectors import Scope

ROLES = frozenset({Role.HANDLER, Role.DEPARTMENT_LEAD})
# The department's workload: cases it handles now, or whose clock it asked to stop.
WORKLOAD = (Status.HANDLING, Status.SUSPENDED)
COLOURS = (TimerColour.RED, TimerColour.YELLOW, TimerColour.GREEN)
EXTRA_TABS = (("handled", gettext_lazy("已反馈待核查")),)

guard = common.workspace(ROLES)


def _base() -> str:
    return reverse("department:home")


def department_cases(request: HttpRequest) -> QuerySet[Case]:
    """The person's visible cases in which their department(s) lead or assist."""
    scope: Scope = request.scope  # type: ignore[attr-defined]
    mine = Case.objects.filter(
        Q(lead_department_id__in=scope.department_ids)
        | Q(assisting_departments__in=scope.department_ids)
    ).values("pk")
    return case_list_for_user(user=request.user, scope=getattr(request, "scope", None)).filter(
        pk__in=mine
    )


def _list_context(request: HttpRequest) -> dict[str, object]:
    filterset = common.filtered(request, department_cases(request))
    cases = common.filtered_qs(filterset)
    counts = cases.aggregate(
        **{
            colour.value: Count("pk", filter=Q(status__in=WORKLOAD, timer_colour=colour))
            for colour in COLOURS
        },
        handled=Count("pk", filter=Q(status__in=[Status.HANDLED, Status.AWAITING_REINSPECTION])),
    )
    tab = request.GET.get("tab", "")
    if tab in {c.value for c in COLOURS}:
        listed = cases.filter(status__in=WORKLOAD, timer_colour=tab)
    elif tab == "handled":
        listed = cases.filter(status__in=[Status.HANDLED, Status.AWAITING_REINSPECTION])
    else:
        tab = ""
        listed = cases.filter(status__in=WORKLOAD)
    page = common.case_list_page(request, filterset, common.urgent_first(listed))
    params = request.GET.copy()
    for name in ("page", "tab"):
        params.pop(name, None)
    tabs = [
        ("", gettext_lazy("全部在办"), sum(counts[c.value] for c in COLOURS), ""),
        *[(c.value, c.label, counts[c.value], c.value) for c in COLOURS],
        *[(key, label, counts[key], "") for key, label in EXTRA_TABS],
    ]
    return {
        "tabs": tabs,
        "tab": tab,
        "list": page,
        "filters_query": params.urlencode(),
        "base": _base(),
        "keep": [("tab", tab)] if tab else [],
        "filter_fields": common.FILTER_FIELDS,
    }


@require_GET
@guard
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "dept/home.html", _list_context(request))


@require_GET
@guard
def queue_list(request: HttpRequest) -> HttpResponse:
    return render(request, "dept/_queue.html", _list_context(request))


@require_GET
@guard
def changes(request: HttpRequest) -> JsonResponse:
    return common.changes_view(request, department_cases(request))


views = common.desk_views(ROLES, _base)

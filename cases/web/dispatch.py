"""The command centre's page (/dispatch/): queues per step with their counts, the filtered list
and its map, the case drawer, bulk dispatch and the cheap "what changed" poll."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from cases.models import Case
from cases.selectors import case_list_for_user
from cases.services import case_dispatch
from cases.web import common
from cases.workflow import Pending, Status
from departments.models import Department
from departments.roles import COMMAND_CENTRE_ROLES, Role
from gridcity.errors import DomainError, ValidationFailed


@dataclass(frozen=True)
class Queue:
    key: str
    label: Promise
    query: Q


QUEUES = (
    Queue("accept", gettext_lazy("待受理"), Q(status=Status.REPORTED)),
    Queue("file", gettext_lazy("待立案"), Q(status=Status.ACCEPTED)),
    Queue("dispatch", gettext_lazy("待派遣"), Q(status=Status.FILED)),
    Queue(
        "approve",
        gettext_lazy("待审批"),
        (Q(status=Status.HANDLING) & ~Q(pending=Pending.NONE)) | Q(status=Status.SELF_HANDLED),
    ),
    Queue("reinspect", gettext_lazy("待派发核查"), Q(status=Status.HANDLED)),
    Queue("close", gettext_lazy("待结案"), Q(status=Status.AWAITING_CLOSING)),
)
QUEUE_OF = {queue.key: queue for queue in QUEUES}
DEFAULT_QUEUE = "accept"

guard = common.workspace(COMMAND_CENTRE_ROLES)


def _base() -> str:
    return reverse("dispatch:home")


def _chosen_queue(request: HttpRequest) -> Queue | None:
    """The queue in the address; ``queue=all`` lists every case the filters match."""
    key = request.GET.get("queue", DEFAULT_QUEUE)
    return None if key == "all" else QUEUE_OF.get(key, QUEUE_OF[DEFAULT_QUEUE])


def _filtered(request: HttpRequest) -> tuple[common.CaseFilter, QuerySet[Case]]:
    filterset = common.filtered(
        request, case_list_for_user(user=request.user, scope=getattr(request, "scope", None))
    )
    return filterset, common.filtered_qs(filterset)


def _list_context(request: HttpRequest) -> dict[str, object]:
    filterset, cases = _filtered(request)
    # Every queue is an open status: counting the open cases only, over columns the partial
    # index case_open_queue holds (status, not the id), lets an index-only scan answer.
    counts = cases.open().aggregate(**{q.key: Count("status", filter=q.query) for q in QUEUES})
    queue = _chosen_queue(request)
    listed = cases.filter(queue.query) if queue else cases
    page = common.case_list_page(request, filterset, common.urgent_first(listed))
    params = request.GET.copy()
    for name in ("page", "queue"):
        params.pop(name, None)
    return {
        "queues": [(q, counts[q.key]) for q in QUEUES],
        "queue": queue.key if queue else "all",
        "list": page,
        "filters_query": params.urlencode(),
        "base": _base(),
        "departments": Department.objects.active().order_by("name").only("pk", "name"),
        # Only someone who may dispatch is offered the selection and the bulk form.
        "bulk": queue is not None
        and queue.key == "dispatch"
        and request.scope.has(Role.DISPATCHER),  # type: ignore[attr-defined]
        "keep": [("queue", queue.key if queue else "all")],
        "filter_fields": (*common.FILTER_FIELDS, "department"),
    }


@require_GET
@guard
def home(request: HttpRequest) -> HttpResponse:
    context = _list_context(request)
    context.update(
        {
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
            "map_center": settings.MAP_CENTER,
        }
    )
    return render(request, "dispatch/home.html", context)


@require_GET
@guard
def queue_list(request: HttpRequest) -> HttpResponse:
    return render(request, "dispatch/_queue.html", _list_context(request))


@require_GET
@guard
def map_data(request: HttpRequest) -> JsonResponse:
    """The map's cases: the list's filters and queue, and the map's view when it sends one."""
    try:
        bbox = common.viewport(request.GET.get("bbox"))
    except ValidationFailed as exc:
        return JsonResponse({"message": exc.message, "code": exc.code}, status=400)
    _filterset, cases = _filtered(request)
    queue = _chosen_queue(request)
    return common.geojson(cases.filter(queue.query) if queue else cases, bbox=bbox)


@require_GET
@guard
def changes(request: HttpRequest) -> JsonResponse:
    return common.changes_view(
        request, case_list_for_user(user=request.user, scope=getattr(request, "scope", None))
    )


@require_POST
@guard
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    """Dispatch each selected case to its suggested department, or all to one department; each
    case is its own transaction, so one refusal does not undo the others."""
    visible = case_list_for_user(user=request.user, scope=getattr(request, "scope", None))
    ids = common.visible_ids(visible, request.POST.getlist("ids"))
    target = request.POST.get("target", "suggested")
    chosen = None
    if target != "suggested":
        chosen = Department.objects.active().filter(pk=target if target.isdigit() else 0).first()
    results = []
    if not ids:
        results.append((None, False, _("请先勾选要派遣的案件。")))
    elif target != "suggested" and chosen is None:
        results.append((None, False, _("请选择有效的主办部门。")))
    else:
        cases = {c.pk: c for c in visible.filter(pk__in=ids)}
        for pk in ids:
            case = cases[pk]
            lead = chosen or case.suggested_department
            if lead is None:
                results.append((case, False, _("没有建议部门，请在案件详情中选择部门。")))
                continue
            try:
                case_dispatch(case_id=pk, actor=request.user, lead=lead, expected_version=None)
            except DomainError as exc:
                results.append((case, False, exc.message))
            else:
                results.append((case, True, _("已派遣至 %(d)s") % {"d": lead.name}))
    ok = sum(1 for _case, success, _m in results if success)
    response = render(
        request,
        "dispatch/_bulk_result.html",
        {"results": results, "ok": ok, "failed": len(results) - ok},
    )
    response["HX-Trigger"] = "desk:refresh"
    return response


views = common.desk_views(COMMAND_CENTRE_ROLES, _base)

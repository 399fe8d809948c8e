"""Pages of the inspector's phone workspace (/m/): report a problem (sent through the case API
from an outbox on the phone), my tasks with their pass/fail answers, my reports, and the service
worker that keeps the shell usable on a bad signal. Views parse, call one selector or service,
and render."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods

from cases import services
from cases.models import Urgency
from cases.selectors import case_photo_get_for_user
from cases.web.mobile_forms import MyReportFilter, TaskAnswerForm
from cases.web.mobile_selectors import (
    inspector_report_list,
    inspector_task_get,
    inspector_task_list,
    is_inspector,
    patrol_grid_list,
    point_info,
    report_category_list,
)
from cases.workflow import Action
from gridcity.errors import DomainError, NotFound
from gridcity.geo import make_point
from grids.models import Category

PAGE_SIZE = 20
# The shell the service worker keeps for when the signal is gone.
SHELL_STATIC = (
    "css/gridcity.css",
    "mobile/mobile.css",
    "mobile/photos.js",
    "mobile/outbox.js",
    "mobile/map.js",
    "mobile/report.js",
    "mobile/task.js",
    "vendor/idb/umd.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
)

# What the report page's script says, translated here like every other string of the page.
JS_STRINGS = {
    "locating": _l("正在定位…"),
    "locateFailed": _l("无法获取位置（%s），请在地图上点选。"),
    "locateDenied": _l("未获得定位权限"),
    "locateUnavailable": _l("暂时无法定位"),
    "locateTimeout": _l("定位超时"),
    "noGeolocation": _l("此设备不支持定位，请在地图上点选。"),
    "pointChosen": _l("已选位置：%s"),
    "gridLooking": _l("正在查询所在网格…"),
    "gridIs": _l("所在网格：%s"),
    "gridOffline": _l("当前离线：网格在上传后由系统确定。"),
    "categoryChosen": _l("已选类别：%s"),
    "noMatch": _l("没有匹配的类别，请换个说法或输入编码。"),
    "noComponent": _l("不指定部件"),
    "componentsNone": _l("附近 50 米内没有登记该类部件。"),
    "metres": _l("%s 米"),
    "photoAlt": _l("现场照片 %s"),
    "removePhoto": _l("移除照片 %s"),
    "photoCount": _l("%s 张照片"),
    "shrinking": _l("正在压缩照片…"),
    "photoFailed": _l("照片无法读取：%s"),
    "noPoint": _l("请先定位或在地图上点选问题位置。"),
    "noCategory": _l("请选择问题类别。"),
    "noPhoto": _l("请至少拍一张现场照片。"),
    "noDescription": _l("请填写问题描述。"),
    "saved": _l("已存入待发送，正在上传…"),
    "queued": _l("网络不可用：上报已存在本机，恢复网络后自动发送。"),
    "sent": _l("已上报，案件编号 %s"),
    "outboxUnavailable": _l("本机无法保存上报（%s），请检查浏览器存储设置。"),
    "stateWaiting": _l("等待发送"),
    "stateSending": _l("正在发送"),
    "stateOtherAccount": _l("其他账户的上报：该账户登录后发送"),
    "stateRejected": _l("被服务器退回（原因见下），可重试或删除后重新上报"),
    "retry": _l("重试"),
    "remove": _l("删除"),
    "confirmRemove": _l("确定删除这条未发送的上报吗？删除后无法恢复。"),
    "online": _l("网络已连接"),
    "offline": _l("当前离线"),
}


def inspector_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in and holding the inspector role today; anyone else gets 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_inspector(user=request.user):
            raise PermissionDenied(_("移动巡查仅供监督员使用。"))
        return view(request, *args, **kwargs)

    return wrapped


def _map_config() -> dict[str, Any]:
    return {
        "tileUrl": settings.MAP_TILE_URL,
        "attribution": settings.MAP_TILE_ATTRIBUTION,
        "center": list(settings.MAP_CENTER),
        "gridsUrl": reverse("grid-list"),
    }


def _patrol_geojson(user: Any) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": json.loads(grid.boundary.geojson),
                "properties": {"code": grid.code, "community": grid.community.name},
            }
            for grid in patrol_grid_list(user=user)
        ],
    }


def _nav(request: HttpRequest, current: str) -> dict[str, Any]:
    return {"nav": current, "task_count": inspector_task_list(user=request.user).count()}


@require_GET
@inspector_required
def home(request: HttpRequest) -> HttpResponse:
    """Report a problem: the form posts to the case API through the phone's outbox."""
    categories = [
        {
            "id": c.pk,
            "kind": c.kind,
            "kindLabel": str(Category.Kind(c.kind).label),
            "code": c.code,
            "name": c.name,
            "keys": c.search_keys,
        }
        for c in report_category_list()
    ]
    context = {
        **_nav(request, "report"),
        "categories": categories,
        "patrol_grids": _patrol_geojson(request.user),
        "map_config": _map_config(),
        "urgencies": Urgency.choices,
        "strings": JS_STRINGS,
        "default_urgency": Urgency.NORMAL,
        "urls": {
            "report": reverse("case-list"),
            "categories": reverse("category-list"),
            "locate": reverse("mobile:locate"),
            "reports": reverse("mobile:reports"),
        },
    }
    return render(request, "mobile/report.html", context)


@require_GET
@inspector_required
def locate(request: HttpRequest) -> JsonResponse:
    """The grid under a tapped point and the components of the chosen category nearby."""
    try:
        point = make_point(lon=request.GET.get("lon", ""), lat=request.GET.get("lat", ""))
    except ValueError:
        return JsonResponse({"message": _("位置无效。")}, status=400)
    category = None
    if request.GET.get("category", "").isdigit():
        category = report_category_list().filter(pk=int(request.GET["category"])).first()
    info = point_info(point=point, category=category)
    grid = info.grid
    return JsonResponse(
        {
            "grid": None if grid is None else {"code": grid.code, "community": grid.community.name},
            "message": info.message,
            "components": info.components,
        }
    )


@require_GET
@inspector_required
def tasks(request: HttpRequest) -> HttpResponse:
    page = Paginator(inspector_task_list(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "mobile/tasks.html", {**_nav(request, "tasks"), "page": page})


@require_http_methods(["GET", "POST"])
@inspector_required
def task_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """A verification or re-inspection task: the point, the report, and the answers I may give."""
    try:
        task = inspector_task_get(user=request.user, case_id=case_id)
    except NotFound as exc:
        messages.info(request, exc.message)
        return redirect("mobile:tasks")
    form = TaskAnswerForm(initial={"expected_version": task.case.version})
    status = 200
    if request.method == "POST":
        form = TaskAnswerForm(request.POST, request.FILES)
        if form.is_valid() and Action(form.cleaned_data["action"]) not in task.actions:
            form.add_error(None, _("当前不能执行该操作。"))
        if form.is_valid():
            action = Action(form.cleaned_data["action"])
            try:
                services.ACTION_SERVICES[action](
                    case_id=task.case.pk,
                    actor=request.user,
                    note=form.cleaned_data["note"],
                    photos=form.photo_bytes(),
                    expected_version=form.cleaned_data["expected_version"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
                status = exc.http_status
            else:
                messages.success(
                    request,
                    _("案件 %(number)s：%(action)s，已提交。")
                    % {"number": task.case.number, "action": action.label},
                )
                return redirect("mobile:tasks")
        else:
            status = 400
    context = {
        **_nav(request, "tasks"),
        "task": task,
        "case": task.case,
        "form": form,
        "map_config": _map_config(),
        "point": {"lon": task.case.location.x, "lat": task.case.location.y},
    }
    return render(request, "mobile/task_detail.html", context, status=status)


@require_GET
@inspector_required
def reports(request: HttpRequest) -> HttpResponse:
    """My reports with their current status, filtered like the API and paginated here."""
    filterset = MyReportFilter(
        request.GET or None, queryset=inspector_report_list(user=request.user)
    )
    cases = filterset.qs if filterset.is_bound and filterset.is_valid() else filterset.queryset
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **_nav(request, "reports"),
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
    }
    return render(request, "mobile/reports.html", context)


@require_GET
@inspector_required
def photo(request: HttpRequest, photo_id: int) -> FileResponse:
    """A case photo (its thumbnail unless ?full=1) for a person who may see the case."""
    try:
        found = case_photo_get_for_user(user=request.user, photo_id=photo_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    image, content_type = found.served(thumbnail=not request.GET.get("full"))
    response = FileResponse(image.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from /m/ so that its scope covers the workspace."""
    shell_static = [static(path) for path in SHELL_STATIC]
    config = {
        "pages": [reverse("mobile:home")],
        "static": shell_static,
        # Not static(""): the hashed-name storage of production has no entry for a folder.
        "staticPrefix": settings.STATIC_URL,
        "idb": static("vendor/idb/umd.js"),
        "outbox": static("mobile/outbox.js"),
        "scope": reverse("mobile:home"),
        # A new release (new static URLs or a new shell list) starts a fresh cache.
        "version": hashlib.sha256("\n".join(shell_static).encode()).hexdigest()[:12],
    }
    response = render(
        request, "mobile/sw.js", {"config": json.dumps(config)}, content_type="text/javascript"
    )
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("mobile:home")
    return response

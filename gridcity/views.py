"""Platform views: the home page and the operators' heartbeat endpoint."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from departments.roles import COMMAND_CENTRE_ROLES, Role
from gridcity.models import Heartbeat
from gridcity.services import heartbeat_queue


@dataclass(frozen=True)
class Workspace:
    url_name: str
    label: Promise
    roles: frozenset[Role]


# Each workspace appears on the home page once its URL exists and the person holds a role for it.
WORKSPACES = (
    Workspace("mobile:home", _("巡查上报"), frozenset({Role.INSPECTOR})),
    Workspace("dispatch:home", _("指挥调度"), COMMAND_CENTRE_ROLES),
    Workspace("department:home", _("部门处置"), frozenset({Role.HANDLER, Role.DEPARTMENT_LEAD})),
    Workspace("reports:home", _("考核评价"), frozenset({Role.SUPERVISOR, Role.DEPARTMENT_LEAD})),
    Workspace("admin:index", _("管理后台"), frozenset({Role.ADMINISTRATOR})),
    Workspace("api-docs", _("接口文档"), frozenset(Role)),
)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    names = set(request.user.groups.values_list("name", flat=True))
    roles = [role for role in Role if role.value in names]
    if request.user.is_superuser:
        roles = roles or [Role.ADMINISTRATOR]
    held = set(roles)
    links = []
    for space in WORKSPACES:
        if not held & space.roles:
            continue
        try:
            links.append({"url": reverse(space.url_name), "label": space.label})
        except NoReverseMatch:
            continue
    return render(request, "home.html", {"roles": roles, "links": links})


class HeartbeatSerializer(serializers.ModelSerializer):
    class Meta:
        model = Heartbeat
        fields = [
            "id",
            "source",
            "request_id",
            "worker_request_id",
            "queued_at",
            "ran_at",
            "worker",
        ]


class HeartbeatCreateView(APIView):
    """Queues one trip through broker and worker so an operator can watch it arrive."""

    permission_classes = [permissions.IsAdminUser]

    @extend_schema(request=None, responses={202: HeartbeatSerializer})
    def post(self, request: Request) -> Response:
        beat = heartbeat_queue(source=Heartbeat.Source.REQUEST)
        return Response(HeartbeatSerializer(beat).data, status=status.HTTP_202_ACCEPTED)


class HeartbeatDetailView(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(responses={200: HeartbeatSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(HeartbeatSerializer(get_object_or_404(Heartbeat, pk=pk)).data)

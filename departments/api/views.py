"""API views of the departments app: thin, each calling one selector or service."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from departments import selectors, services
from departments.api import serializers as s
from departments.models import Department, Notice, ResponsibilityRule, TimeLimit
from departments.roles import Role


class IsAdministratorOrReadOnly(permissions.BasePermission):
    """Reads for every signed-in person; writes for administrators (services check again)."""

    def has_permission(self, request: Request, view: object) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return Role.ADMINISTRATOR in selectors.user_roles(user=request.user)


class _ReadCreatePatch(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    http_method_names = ["get", "post", "patch", "head", "options"]
    permission_classes = [IsAdministratorOrReadOnly]


@extend_schema(tags=["departments"])
class DepartmentViewSet(_ReadCreatePatch):
    filterset_fields = ["kind", "is_active", "parent"]

    def get_queryset(self) -> QuerySet[Department]:
        return selectors.departments_for_user(user=self.request.user)

    def get_serializer_class(self) -> type:
        if self.action in {"create", "partial_update"}:
            return s.DepartmentInputSerializer
        return s.DepartmentOutputSerializer

    @extend_schema(responses={201: s.DepartmentOutputSerializer})
    def create(self, request: Request) -> Response:
        data = self._input(request, partial=False)
        department = services.department_create(actor=request.user, **data)
        return Response(s.DepartmentOutputSerializer(department).data, status=201)

    @extend_schema(responses={200: s.DepartmentOutputSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        data = self._input(request, partial=True)
        department = services.department_update(
            actor=request.user, department=self.get_object(), **data
        )
        return Response(s.DepartmentOutputSerializer(department).data)

    def _input(self, request: Request, *, partial: bool) -> dict:
        serializer = s.DepartmentInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


@extend_schema(tags=["responsibility rules"])
class ResponsibilityRuleViewSet(_ReadCreatePatch):
    filterset_fields = ["is_active", "kind", "category_code", "area_code", "lead"]

    def get_queryset(self) -> QuerySet[ResponsibilityRule]:
        return selectors.rules_for_user(user=self.request.user)

    def get_serializer_class(self) -> type:
        if self.action in {"create", "partial_update"}:
            return s.RuleInputSerializer
        return s.RuleOutputSerializer

    @extend_schema(responses={201: s.RuleOutputSerializer})
    def create(self, request: Request) -> Response:
        serializer = s.RuleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.rule_create(actor=request.user, **serializer.validated_data)
        return Response(s.RuleOutputSerializer(rule).data, status=201)

    @extend_schema(responses={200: s.RuleOutputSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        serializer = s.RuleInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        rule = services.rule_update(
            actor=request.user,
            rule=self.get_object(),
            assisting=data.pop("assisting", None),
            **data,
        )
        return Response(s.RuleOutputSerializer(rule).data)

    @extend_schema(
        request=s.DryRunInputSerializer, responses={200: s.RoutingChangeOutputSerializer(many=True)}
    )
    @action(detail=False, methods=["post"], url_path="dry-run")
    def dry_run(self, request: Request) -> Response:
        """Which open cases would route to a different lead department under the proposal."""
        serializer = s.DryRunInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        draft, assisting = None, ()
        if data.get("rule"):
            fields = dict(data["rule"])
            assisting = fields.pop("assisting", ())
            draft = ResponsibilityRule(**fields)
        changes = services.responsibility_dry_run(
            draft=draft,
            assisting=assisting,
            replaces=data.get("replaces"),
            removes=data.get("removes"),
        )
        return Response(s.RoutingChangeOutputSerializer(changes, many=True).data)

    @extend_schema(request=s.EvaluateInputSerializer, responses={200: s.RoutingOutputSerializer})
    @action(
        detail=False,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated],
    )
    def evaluate(self, request: Request) -> Response:
        """Who answers for a category in a grid (about a component), and why."""
        serializer = s.EvaluateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        routing = services.responsibility_evaluate(
            category=data["category"], grid=data["grid"], component=data.get("component")
        )
        return Response(s.RoutingOutputSerializer(routing).data, status=status.HTTP_200_OK)


@extend_schema(tags=["time limits"])
class TimeLimitViewSet(_ReadCreatePatch):
    filterset_fields = ["step", "urgency", "unit", "category"]

    def get_queryset(self) -> QuerySet[TimeLimit]:
        return selectors.time_limits_list()

    def get_serializer_class(self) -> type:
        if self.action == "create":
            return s.TimeLimitInputSerializer
        if self.action == "partial_update":
            return s.TimeLimitPatchSerializer
        return s.TimeLimitOutputSerializer

    @extend_schema(responses={201: s.TimeLimitOutputSerializer})
    def create(self, request: Request) -> Response:
        serializer = s.TimeLimitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        row = services.time_limit_set(
            actor=request.user,
            step=data["step"],
            category=data.get("category"),
            urgency=data.get("urgency", ""),
            amount=data["amount"],
            unit=data["unit"],
            note=data.get("note", ""),
        )
        return Response(s.TimeLimitOutputSerializer(row).data, status=201)

    @extend_schema(responses={200: s.TimeLimitOutputSerializer})
    def partial_update(self, request: Request, pk: str) -> Response:
        serializer = s.TimeLimitPatchSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        row = services.time_limit_update(
            actor=request.user, limit=self.get_object(), **serializer.validated_data
        )
        return Response(s.TimeLimitOutputSerializer(row).data)


@extend_schema(tags=["notices"])
class NoticeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The signed-in person's in-app notices, newest first."""

    serializer_class = s.NoticeOutputSerializer
    filterset_fields = ["kind"]
    # Only numbers route here: "/notices/abc/read/" is not found rather than a server error.
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[Notice]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return Notice.objects.none()
        return selectors.notices_for_user(user=self.request.user)

    @extend_schema(request=None, responses={200: None})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        marked = services.notice_mark_read(user=request.user, notice_ids=[int(pk)])
        return Response({"marked": marked})

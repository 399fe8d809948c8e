"""Case API: a scoped list and detail, POST to report, and one POST per workflow action. Every
write accepts an Idempotency-Key header; views only parse, call one service and render."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from cases import services
from cases.api import serializers as s
from cases.filters import CaseFilter
from cases.idempotency import idempotent_call, request_fingerprint
from cases.models import Case
from cases.photos import photo_upload_read
from cases.selectors import (
    case_as_written,
    case_get_for_user,
    case_list_for_user,
    case_photo_get_for_user,
    scope_for,
)
from cases.workflow import Action
from departments.selectors import Scope
from gridcity.errors import NotFound
from gridcity.geo import make_point

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="重试同一请求时带同一个键：返回第一次的结果，不会重复执行。",
)
ERRORS = {
    400: OpenApiResponse(description="输入无效"),
    403: OpenApiResponse(description="无权执行"),
    404: OpenApiResponse(description="案件不存在或不可见"),
    409: OpenApiResponse(description="当前状态不允许，或并发冲突，或幂等键被用于不同请求"),
}
PARSERS = [JSONParser, MultiPartParser, FormParser]
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


def _files(request: Request) -> dict[str, list[bytes]]:
    found: dict[str, list[bytes]] = {}
    for name in request.FILES:
        found[name] = []
        for upload in request.FILES.getlist(name):
            found[name].append(upload.read())
            upload.seek(0)
    return found


def _plain_data(request: Request) -> dict[str, Any]:
    if hasattr(request.data, "lists"):
        return {k: v for k, v in request.data.lists() if k not in request.FILES}
    return dict(request.data)


def _photo_bytes(validated: dict[str, Any]) -> list[bytes]:
    uploads = validated.pop("photos", [])
    return [photo_upload_read(upload, index=i) for i, upload in enumerate(uploads, start=1)]


def _json(data: Any) -> Any:
    return json.loads(JSONRenderer().render(data))


class FileOrJsonNegotiation(BaseContentNegotiation):
    """A photo answers with its file whatever the Accept header asks (an <img> asks for
    image/*), and an error in JSON: the first renderer, never 406."""

    def select_parser(self, request: Request, parsers: list[Any]) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Request, renderers: list[Any], format_suffix: str | None = None
    ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases the user may see (list and detail), reporting, and the workflow actions."""

    filterset_class = CaseFilter
    parser_classes = PARSERS
    # Only numbers route here: "/cases/abc/file/" is not found rather than a server error.
    lookup_value_regex = r"[0-9]+"

    def reader_scope(self) -> Scope:
        """The requesting user's scope, computed once per request."""
        if not hasattr(self, "_reader_scope"):
            self._reader_scope = scope_for(self.request.user)
        return self._reader_scope

    def get_queryset(self) -> QuerySet[Case]:
        return case_list_for_user(user=self.request.user, scope=self.reader_scope()).order_by(
            "-reported_at", "-pk"
        )

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return s.CaseListOutput if self.action == "list" else s.CaseDetailOutput

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if self.request.user.is_authenticated:
            context["scope"] = self.reader_scope()
        return context

    def get_object(self) -> Case:
        return case_get_for_user(
            user=self.request.user, case_id=int(self.kwargs["pk"]), scope=self.reader_scope()
        )

    def detail_body(self, case_id: int) -> Any:
        try:
            case = case_get_for_user(
                user=self.request.user, case_id=case_id, scope=self.reader_scope()
            )
        except NotFound:
            # The action moved the case out of the actor's sight; the write still stands.
            case = Case.objects.get(pk=case_id)
            return {"id": case.pk, "number": case.number, "status": case.status}
        return _json(s.CaseDetailOutput(case, context=self.get_serializer_context()).data)

    def run_write(
        self, request: Request, endpoint: str, call: Callable[[], tuple[int, Any]]
    ) -> Response:
        key = request.headers.get("Idempotency-Key")
        if not key:
            code, body = call()
            return Response(body, status=code)
        answer = idempotent_call(
            user=request.user,
            key=key,
            endpoint=endpoint,
            fingerprint=request_fingerprint(data=_plain_data(request), files=_files(request)),
            call=call,
        )
        response = Response(answer.body, status=answer.status)
        if answer.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(
        operation_id="cases_report",
        summary="上报案件",
        request={
            "application/json": s.CaseReportInput,
            "multipart/form-data": s.CaseReportInput,
        },
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: s.CaseDetailOutput, **ERRORS},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        def call() -> tuple[int, Any]:
            form = s.CaseReportInput(data=request.data)
            form.is_valid(raise_exception=True)
            data = dict(form.validated_data)
            photos = _photo_bytes(data)
            reported = services.case_report_written(
                actor=request.user,
                location=make_point(lon=data.pop("lon"), lat=data.pop("lat")),
                photos=photos,
                scope=self.reader_scope(),
                **data,
            )
            # The answer is the case as this request wrote it: the same body a read of it
            # gives straight after (tests/cases/test_api.py), without reading it back.
            case = case_as_written(
                case=reported.case,
                event=reported.event,
                photos=reported.photos,
                scope=self.reader_scope(),
            )
            if case is None:
                return status.HTTP_201_CREATED, self.detail_body(reported.case.pk)
            body = s.CaseDetailOutput(case, context=self.get_serializer_context()).data
            return status.HTTP_201_CREATED, _json(body)

        return self.run_write(request, "cases:report", call)

    @extend_schema(
        operation_id="cases_photo",
        summary="案件照片",
        description=(
            "照片文件，仅对能看到该案件的用户开放；"
            "size=thumbnail 返回缩略图（尚未生成时返回原图）。"
        ),
        parameters=[
            OpenApiParameter("photo_id", OpenApiTypes.INT, OpenApiParameter.PATH),
            OpenApiParameter(
                "size", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=["full", "thumbnail"]
            ),
        ],
        responses={
            **{(200, media): OpenApiTypes.BINARY for media in PHOTO_TYPES},
            404: ERRORS[404],
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"photos/(?P<photo_id>[0-9]+)",
        url_name="photo",
        renderer_classes=[JSONRenderer],
        content_negotiation_class=FileOrJsonNegotiation,
        filter_backends=[],
        pagination_class=None,
    )
    def photo(self, request: Request, pk: str, photo_id: str, **kwargs: Any) -> FileResponse:
        """A photo of a case the user may see: through here, never from MEDIA_ROOT directly."""
        photo = case_photo_get_for_user(user=request.user, case_id=int(pk), photo_id=int(photo_id))
        thumbnail = request.query_params.get("size") == "thumbnail"
        field, content_type = photo.served(thumbnail=thumbnail)
        response = FileResponse(field.open("rb"), content_type=content_type)
        response["Cache-Control"] = "private, max-age=3600"
        return response


@dataclass(frozen=True)
class ActionEndpoint:
    action: Action
    input: type[serializers.Serializer]
    # Renames from the input's field names to the service's keyword names.
    rename: tuple[tuple[str, str], ...] = ()


ENDPOINTS = (
    ActionEndpoint(Action.SEND_FOR_VERIFICATION, s.NoteInput),
    ActionEndpoint(Action.VERIFY_PASS, s.PhotoNoteInput),
    ActionEndpoint(Action.VERIFY_FAIL, s.PhotoRequiredNoteInput),
    ActionEndpoint(Action.ACCEPT, s.AcceptInput),
    ActionEndpoint(Action.REJECT, s.ReasonInput),
    ActionEndpoint(Action.SELF_HANDLE, s.HandledInput),
    ActionEndpoint(Action.APPROVE_SELF_HANDLE, s.NoteInput),
    ActionEndpoint(Action.DENY_SELF_HANDLE, s.RequiredNoteInput),
    ActionEndpoint(Action.FILE, s.NoteInput),
    ActionEndpoint(Action.VOID, s.ReasonInput),
    ActionEndpoint(Action.DISPATCH, s.DispatchInput),
    ActionEndpoint(Action.REQUEST_SENDBACK, s.ReasonInput),
    ActionEndpoint(Action.APPROVE_SENDBACK, s.NoteInput),
    ActionEndpoint(Action.DENY_SENDBACK, s.RequiredNoteInput),
    ActionEndpoint(Action.REQUEST_EXTENSION, s.ExtensionRequestInput),
    ActionEndpoint(Action.APPROVE_EXTENSION, s.ExtensionApproveInput),
    ActionEndpoint(Action.DENY_EXTENSION, s.RequiredNoteInput),
    ActionEndpoint(Action.REQUEST_SUSPENSION, s.ReasonInput),
    ActionEndpoint(Action.APPROVE_SUSPENSION, s.NoteInput),
    ActionEndpoint(Action.DENY_SUSPENSION, s.RequiredNoteInput),
    ActionEndpoint(Action.RESUME, s.NoteInput),
    ActionEndpoint(Action.REPORT_HANDLED, s.HandledInput),
    ActionEndpoint(Action.SEND_FOR_REINSPECTION, s.NoteInput),
    ActionEndpoint(Action.REINSPECT_PASS, s.PhotoNoteInput),
    ActionEndpoint(Action.REINSPECT_FAIL, s.PhotoRequiredNoteInput),
    ActionEndpoint(Action.CLOSE, s.CloseInput),
    ActionEndpoint(Action.URGE, s.RequiredNoteInput),
)


def _make_action_view(endpoint: ActionEndpoint) -> Callable[..., Response]:
    service = services.ACTION_SERVICES[endpoint.action]
    url_path = endpoint.action.value.replace("_", "-")

    def view(self: CaseViewSet, request: Request, pk: str | None = None) -> Response:
        case_id = int(pk or 0)

        def call() -> tuple[int, Any]:
            form = endpoint.input(data=request.data)
            form.is_valid(raise_exception=True)
            data = dict(form.validated_data)
            if "photos" in data:
                data["photos"] = _photo_bytes(data)
            for old, new in endpoint.rename:
                data[new] = data.pop(old)
            service(case_id=case_id, actor=request.user, **data)
            return status.HTTP_200_OK, self.detail_body(case_id)

        return self.run_write(request, f"cases:{case_id}:{endpoint.action.value}", call)

    view.__name__ = f"{endpoint.action.value}_action"
    view.__doc__ = str(endpoint.action.label)
    routed = action(
        detail=True,
        methods=["post"],
        url_path=url_path,
        url_name=url_path,
        parser_classes=PARSERS,
    )(view)
    # After @action, which would overwrite the schema that extend_schema stores on the function.
    return extend_schema(
        operation_id=f"cases_{endpoint.action.value}",
        summary=str(endpoint.action.label),
        request={
            "application/json": endpoint.input,
            "multipart/form-data": endpoint.input,
        },
        parameters=[IDEMPOTENCY_HEADER],
        responses={200: s.CaseDetailOutput, **ERRORS},
    )(routed)


for _endpoint in ENDPOINTS:
    # Suffixed: an action named "dispatch" must not replace APIView.dispatch.
    setattr(CaseViewSet, f"{_endpoint.action.value}_action", _make_action_view(_endpoint))

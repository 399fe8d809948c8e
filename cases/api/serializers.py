"""Input serializers (one per endpoint) and output serializers of the case API."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases import workflow
from cases.models import Case, CaseEvent, CasePhoto, Outcome, Urgency
from cases.selectors import may_see_contact
from cases.workflow import Source
from departments.models import Department
from gridcity.serializers import FieldsBuiltOnce
from grids.models import Category, Component


# ---------------------------------------------------------------- inputs
class VersionedInput(serializers.Serializer):
    expected_version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("The case version the client saw; a different current version answers 409."),
    )


class NoteInput(VersionedInput):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RequiredNoteInput(VersionedInput):
    note = serializers.CharField(max_length=2000, help_text=_("Required: the reason or opinion."))


class ReasonInput(VersionedInput):
    reason = serializers.CharField(max_length=2000)


class PhotosField(serializers.ListField):
    child = serializers.FileField(max_length=200, allow_empty_file=False)


class PhotoNoteInput(NoteInput):
    photos = PhotosField(required=False, default=list, help_text=_("JPEG, PNG or WebP files."))


class PhotoRequiredNoteInput(RequiredNoteInput):
    photos = PhotosField(required=False, default=list, help_text=_("JPEG, PNG or WebP files."))


class HandledInput(NoteInput):
    photos = PhotosField(min_length=1, help_text=_("At least one 'after' photo."))


class AcceptInput(NoteInput):
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)


class DispatchInput(NoteInput):
    lead = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    assisting = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), many=True, required=False, default=list
    )


class ExtensionRequestInput(ReasonInput):
    until = serializers.DateTimeField(help_text=_("The new handling deadline asked for."))


class ExtensionApproveInput(NoteInput):
    until = serializers.DateTimeField(
        required=False, help_text=_("Another deadline than the one asked for.")
    )


class CloseInput(NoteInput):
    outcome = serializers.ChoiceField(
        choices=[c for c in Outcome.choices if c[0]],
        required=False,
        help_text=_("Empty: on time or overdue by the handling deadline."),
    )


class CaseReportInput(serializers.Serializer):
    source = serializers.ChoiceField(choices=Source.choices)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all())
    description = serializers.CharField(max_length=4000)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    component = serializers.SlugRelatedField(
        slug_field="identifier",
        queryset=Component.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    reporter_name = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    reporter_phone = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default=""
    )
    photos = PhotosField(required=False, default=list)


# ---------------------------------------------------------------- outputs
class DepartmentRefOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name"]


class CaseEventOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = CaseEvent
        fields = [
            "sequence",
            "action",
            "actor",
            "actor_role",
            "from_status",
            "to_status",
            "note",
            "data",
            "created_at",
        ]

    @extend_schema_field(OpenApiTypes.STR)
    def get_actor(self, event: CaseEvent) -> str:
        if event.actor is None:
            return ""
        return event.actor.get_full_name() or event.actor.get_username()


class CasePhotoOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    """Links go to the case's scoped photo endpoint, never to MEDIA_URL."""

    event_sequence = serializers.IntegerField(source="event.sequence", allow_null=True)
    image = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = CasePhoto
        fields = [
            "id",
            "stage",
            "event_sequence",
            "image",
            "thumbnail",
            "content_type",
            "width",
            "height",
            "distance_m",
            "far_from_case",
            "created_at",
        ]

    def _link(self, photo: CasePhoto, query: str = "") -> str:
        path = reverse("case-photo", kwargs={"pk": photo.case_id, "photo_id": photo.pk}) + query
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    @extend_schema_field(OpenApiTypes.URI)
    def get_image(self, photo: CasePhoto) -> str:
        return self._link(photo)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail(self, photo: CasePhoto) -> str | None:
        return self._link(photo, "?size=thumbnail") if photo.thumbnail else None


class CaseListOutput(FieldsBuiltOnce, serializers.ModelSerializer):
    category_code = serializers.CharField(source="category.code")
    category_name = serializers.CharField(source="category.name")
    kind = serializers.CharField(source="category.kind")
    grid_code = serializers.CharField(source="grid.code")
    lon = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()
    lead_department = DepartmentRefOutput(allow_null=True)
    duplicate_of_number = serializers.CharField(source="duplicate_of.number", allow_null=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "source",
            "kind",
            "category_code",
            "category_name",
            "status",
            "pending",
            "step",
            "timer_colour",
            "escalated",
            "step_deadline",
            "handling_deadline",
            "urgency",
            "grid_code",
            "address",
            "lon",
            "lat",
            "lead_department",
            "urged",
            "duplicate_of_number",
            "reported_at",
            "closed_at",
            "outcome",
            "version",
        ]

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_lon(self, case: Case) -> float:
        return case.location.x

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_lat(self, case: Case) -> float:
        return case.location.y


class ReporterContactOutput(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()


class CaseDetailOutput(CaseListOutput):
    assisting_departments = DepartmentRefOutput(many=True)
    suggested_department = DepartmentRefOutput(allow_null=True)
    reporter_contact = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    events = CaseEventOutput(many=True)
    photos = CasePhotoOutput(many=True)

    class Meta(CaseListOutput.Meta):
        fields = [
            *CaseListOutput.Meta.fields,
            "description",
            "component_id",
            "pending_data",
            "assisting_departments",
            "suggested_department",
            "suggestion_reason",
            "duplicate_reason",
            "business_type",
            "step_started_at",
            "handling_started_at",
            "suspended_total",
            "rework_count",
            "extension_count",
            "sendback_count",
            "urge_count",
            "handled_at",
            "reporter_contact",
            "allowed_actions",
            "events",
            "photos",
        ]

    @extend_schema_field(ReporterContactOutput(allow_null=True))
    def get_reporter_contact(self, case: Case) -> dict[str, Any] | None:
        scope = self.context.get("scope")
        if scope is None or not may_see_contact(scope):
            return None
        if not (case.reporter_name or case.reporter_phone):
            return None
        return {"name": case.reporter_name, "phone": case.reporter_phone}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, case: Case) -> list[str]:
        scope = self.context.get("scope")
        roles = scope.roles if scope is not None else ()
        return [str(a) for a in workflow.allowed_actions(case.status, roles, pending=case.pending)]

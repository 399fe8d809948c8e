"""Input and output serializers of the departments API (separate per direction)."""

from __future__ import annotations

from rest_framework import serializers

from departments.models import Department, Notice, ResponsibilityRule, TimeLimit
from departments.routing import Routing
from grids.models import Area, Category, Component, Grid


class DepartmentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "kind", "credit_code"]


class DepartmentOutputSerializer(serializers.ModelSerializer):
    area_code = serializers.CharField(
        source="area.code", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = Department
        fields = [
            "id",
            "name",
            "kind",
            "credit_code",
            "parent",
            "area_code",
            "phone",
            "email",
            "is_active",
        ]


class DepartmentInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=Department.Kind.choices)
    credit_code = serializers.CharField(max_length=18)
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), allow_null=True, required=False
    )
    area_code = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Area.objects.all(),
        allow_null=True,
        required=False,
        source="area",
    )
    phone = serializers.CharField(max_length=40, allow_blank=True, required=False)
    email = serializers.EmailField(allow_blank=True, required=False)
    is_active = serializers.BooleanField(required=False)


class RuleOutputSerializer(serializers.ModelSerializer):
    lead = DepartmentRefSerializer(read_only=True)
    assisting = DepartmentRefSerializer(many=True, read_only=True)

    class Meta:
        model = ResponsibilityRule
        fields = [
            "id",
            "priority",
            "name",
            "kind",
            "category_code",
            "area_code",
            "unit_code",
            "unit_role",
            "lead",
            "assisting",
            "is_active",
            "updated_at",
        ]


class RuleInputSerializer(serializers.Serializer):
    priority = serializers.IntegerField(min_value=0)
    name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    kind = serializers.ChoiceField(
        choices=[("", ""), ("component", "component"), ("matter", "matter")], required=False
    )
    category_code = serializers.CharField(max_length=5, allow_blank=True, required=False)
    area_code = serializers.CharField(max_length=15, allow_blank=True, required=False)
    unit_code = serializers.CharField(max_length=18, allow_blank=True, required=False)
    unit_role = serializers.ChoiceField(choices=ResponsibilityRule.UnitRole.choices, required=False)
    lead = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    assisting = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), many=True, required=False
    )
    is_active = serializers.BooleanField(required=False)


class DryRunInputSerializer(serializers.Serializer):
    rule = RuleInputSerializer(required=False, help_text="The proposed rule (omit to only remove).")
    replaces = serializers.PrimaryKeyRelatedField(
        queryset=ResponsibilityRule.objects.all(), required=False, allow_null=True
    )
    removes = serializers.PrimaryKeyRelatedField(
        queryset=ResponsibilityRule.objects.all(), required=False, allow_null=True
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs.get("rule") and not attrs.get("removes"):
            raise serializers.ValidationError("Give a proposed rule, a rule to remove, or both.")
        return attrs


class RoutingOutputSerializer(serializers.Serializer):
    lead = DepartmentRefSerializer()
    assisting = DepartmentRefSerializer(many=True)
    rule = serializers.SerializerMethodField()
    reason = serializers.CharField()

    def get_rule(self, routing: Routing) -> int | None:
        return routing.rule.pk if routing.rule is not None else None


class RoutingChangeOutputSerializer(serializers.Serializer):
    key = serializers.CharField(source="item.key")
    category_code = serializers.CharField(source="item.category.code")
    grid_code = serializers.CharField(source="item.grid.code")
    current_lead = DepartmentRefSerializer(source="item.current_lead", allow_null=True)
    proposed = RoutingOutputSerializer(source="routing")


class EvaluateInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Category.Kind.choices)
    category_code = serializers.CharField(max_length=5)
    grid_code = serializers.CharField(max_length=15)
    component = serializers.SlugRelatedField(
        slug_field="identifier", queryset=Component.objects.all(), required=False, allow_null=True
    )

    def validate(self, attrs: dict) -> dict:
        try:
            attrs["category"] = Category.objects.get(
                kind=attrs["kind"], code=attrs["category_code"]
            )
        except Category.DoesNotExist as exc:
            raise serializers.ValidationError({"category_code": "Unknown category."}) from exc
        grid = (
            Grid.objects.filter(code=attrs["grid_code"], valid_to__isnull=True)
            .select_related("community__parent")
            .first()
        )
        if grid is None:
            raise serializers.ValidationError({"grid_code": "No current grid with this code."})
        attrs["grid"] = grid
        return attrs


class TimeLimitOutputSerializer(serializers.ModelSerializer):
    category_code = serializers.CharField(
        source="category.code", default=None, read_only=True, allow_null=True
    )
    category_kind = serializers.CharField(
        source="category.kind", default=None, read_only=True, allow_null=True
    )

    class Meta:
        model = TimeLimit
        fields = [
            "id",
            "step",
            "category",
            "category_kind",
            "category_code",
            "urgency",
            "amount",
            "unit",
            "note",
        ]


class TimeLimitInputSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=TimeLimit.Step.choices)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )
    urgency = serializers.ChoiceField(
        choices=[("", ""), *TimeLimit.Urgency.choices], required=False
    )
    amount = serializers.IntegerField(min_value=1)
    unit = serializers.ChoiceField(choices=TimeLimit.Unit.choices)
    note = serializers.CharField(max_length=200, allow_blank=True, required=False)


class TimeLimitPatchSerializer(serializers.Serializer):
    amount = serializers.IntegerField(min_value=1, required=False)
    unit = serializers.ChoiceField(choices=TimeLimit.Unit.choices, required=False)
    note = serializers.CharField(max_length=200, allow_blank=True, required=False)


class NoticeOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notice
        fields = ["id", "kind", "title", "body", "link", "created_at", "read_at"]

"""Admin pages: cases and automation rules for administrators; the event log is read-only."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from cases.models import AutomationRule, Case, CaseEvent, CasePhoto


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = [
        "sequence",
        "action",
        "actor",
        "actor_role",
        "from_status",
        "to_status",
        "note",
        "created_at",
    ]
    readonly_fields = fields


class CasePhotoInline(ReadOnlyInline):
    model = CasePhoto
    fields = ["stage", "image", "thumbnail", "distance_m", "far_from_case", "created_at"]
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Cases change only through the workflow services; the admin shows them."""

    list_display = [
        "number",
        "status",
        "category",
        "grid",
        "lead_department",
        "timer_colour",
        "reported_at",
    ]
    list_filter = ["status", "source", "timer_colour", "urgency"]
    search_fields = ["number", "description", "address"]
    inlines = [CaseEventInline, CasePhotoInline]
    list_select_related = ["category", "grid", "lead_department"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AutomationRule)
class AutomationRuleAdmin(admin.ModelAdmin):
    list_display = ["source", "category", "auto_accept", "auto_file", "auto_dispatch", "is_active"]
    list_filter = ["is_active", "source"]
    autocomplete_fields = ["category"]

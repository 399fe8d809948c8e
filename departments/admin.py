"""Admin pages: departments and people, patrol areas, responsibility rules, the calendar, time
limits and notices. Model validation (credit codes, rule codes) runs on every save here too."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from departments.models import (
    CalendarDay,
    CalendarYear,
    Delivery,
    Department,
    DutyPeriod,
    Notice,
    NotificationPreference,
    PatrolAssignment,
    Person,
    ResponsibilityRule,
    TimeLimit,
)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "credit_code", "parent", "area", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "credit_code"]
    autocomplete_fields = ["parent"]
    raw_id_fields = ["area"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "phone"]
    list_filter = ["department__kind"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "department__name"]
    autocomplete_fields = ["department"]
    raw_id_fields = ["user"]
    filter_horizontal = ["supervised_areas"]


@admin.register(PatrolAssignment)
class PatrolAssignmentAdmin(admin.ModelAdmin):
    list_display = ["grid", "inspector", "valid_from", "valid_to"]
    list_filter = ["valid_to"]
    search_fields = ["grid__code", "inspector__username"]
    raw_id_fields = ["grid", "inspector"]
    date_hierarchy = "valid_from"


@admin.register(ResponsibilityRule)
class ResponsibilityRuleAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "priority",
        "name",
        "kind",
        "category_code",
        "area_code",
        "unit_code",
        "lead",
        "is_active",
    ]
    list_display_links = ["id", "name"]
    list_editable = ["priority", "is_active"]
    list_filter = ["is_active", "kind", "lead"]
    search_fields = ["name", "category_code", "area_code", "unit_code", "lead__name"]
    autocomplete_fields = ["lead"]
    filter_horizontal = ["assisting"]
    ordering = ["priority", "id"]


@admin.register(DutyPeriod)
class DutyPeriodAdmin(admin.ModelAdmin):
    list_display = ["weekday", "start", "end"]
    list_filter = ["weekday"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working_day", "note"]
    list_filter = ["is_working_day"]
    search_fields = ["note"]
    date_hierarchy = "date"


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "status", "note"]


@admin.register(TimeLimit)
class TimeLimitAdmin(admin.ModelAdmin):
    list_display = ["step", "category", "urgency", "amount", "unit", "note"]
    list_filter = ["step", "urgency", "unit"]
    search_fields = ["category__code", "category__name", "note"]
    raw_id_fields = ["category"]


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = ["channel", "address", "status", "attempts", "last_error", "sent_at"]
    fields = readonly_fields


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "recipient__username", "dedupe_key"]
    raw_id_fields = ["recipient"]
    inlines = [DeliveryInline]
    date_hierarchy = "created_at"


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email", "sms"]
    raw_id_fields = ["user"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["notice", "channel", "address", "status", "attempts", "sent_at"]
    list_filter = ["channel", "status"]
    readonly_fields = ["notice", "channel", "address", "endpoint", "status", "attempts", "sent_at"]
    actions = ["retry"]

    @admin.action(description=_("重新发送所选失败记录"))
    def retry(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        from departments.services import delivery_retry

        count = delivery_retry(delivery_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, _("已重新排队 %(n)d 条。") % {"n": count})

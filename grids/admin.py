"""Admin of the city model: areas, grids and components on a Leaflet map, the category directory
and the legacy-code table. Every save goes through the services (see grids.forms)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from gridcity.errors import DomainError
from grids import services
from grids.forms import (
    AreaForm,
    CategoryForm,
    ComponentForm,
    GridForm,
    LegacyCategoryCodeForm,
)
from grids.models import Area, Category, Component, Grid, LegacyCategoryCode


class ServiceSavedAdmin(admin.ModelAdmin):
    """The form's service already saved the object; saving again would bypass it."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        pass

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Grids are retired, codes retired, components marked removed: rows are never deleted
        # here, because cases and history point at them.
        return False


@admin.register(Area)
class AreaAdmin(ServiceSavedAdmin, LeafletGeoAdmin):
    form = AreaForm
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code__startswith", "name"]
    list_select_related = ["parent"]
    ordering = ["code"]

    def get_readonly_fields(self, request: HttpRequest, obj: Area | None = None) -> list[str]:
        return ["code", "level", "parent"] if obj else []

    def get_fields(self, request: HttpRequest, obj: Area | None = None) -> list[str]:
        return (
            ["code", "level", "parent", "name", "boundary"] if obj else ["code", "name", "boundary"]
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        queryset, distinct = super().get_search_results(request, queryset, search_term)
        # A grid's community picker offers communities only.
        if request.GET.get("model_name") == "grid":
            queryset = queryset.communities()
        return queryset, distinct


class InForceFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "in_force"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("现行")), ("no", _("已停用"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.current()
        if self.value() == "no":
            return queryset.exclude(pk__in=Grid.objects.current().values("pk"))
        return queryset


@admin.register(Grid)
class GridAdmin(ServiceSavedAdmin, LeafletGeoAdmin):
    form = GridForm
    list_display = ["code", "community", "grade", "area", "valid_from", "valid_to"]
    list_filter = [InForceFilter, "grade"]
    search_fields = ["code__startswith", "community__name"]
    list_select_related = ["community"]
    autocomplete_fields = ["community"]
    date_hierarchy = "valid_from"
    actions = ["retire_selected"]

    @admin.display(description=_("面积（平方米）"), ordering="area_m2")
    def area(self, grid: Grid) -> str:
        return f"{grid.area_m2:,.0f}"

    def get_readonly_fields(self, request: HttpRequest, obj: Grid | None = None) -> list[str]:
        if obj is None:
            return []
        locked = ["code", "community", "valid_from", "valid_to", "area"]
        if obj.valid_to is not None:
            locked += ["boundary", "grade"]
        return locked

    def get_fields(self, request: HttpRequest, obj: Grid | None = None) -> list[str]:
        if obj is None:
            return ["code", "community", "boundary", "grade", "valid_from"]
        return ["code", "community", "boundary", "grade", "area", "valid_from", "valid_to"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"valid_from": timezone.localdate(), **super().get_changeform_initial_data(request)}

    @admin.action(description=_("停用所选网格（今天起）"))
    def retire_selected(self, request: HttpRequest, queryset: QuerySet[Grid]) -> None:
        retired = 0
        for grid in queryset.filter(valid_to__isnull=True).order_by("pk"):
            try:
                services.grid_retire(grid=grid)
                retired += 1
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
        self.message_user(request, _("已停用 %(n)s 个网格。") % {"n": retired})


class MajorFilter(admin.SimpleListFilter):
    """Component categories by major (大类), a short list instead of 153 types."""

    title = _("大类")
    parameter_name = "major"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        majors = (
            Category.objects.components()
            .order_by("major_code")
            .values_list("major_code", "major_name")
            .distinct()
        )
        return [(code, f"{code} {name}") for code, name in majors]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(category__major_code=self.value())
        return queryset


@admin.register(Category)
class CategoryAdmin(ServiceSavedAdmin):
    form = CategoryForm
    list_display = ["code", "name", "kind", "major_name", "edition", "is_local", "retired_on"]
    list_filter = ["kind", "is_local", "edition", "major_code"]
    search_fields = ["code__startswith", "name", "name_en"]
    actions = ["retire_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Category | None = None) -> list[str]:
        if obj is None:
            return []
        locked = ["kind", "code", "major_code", "major_name", "edition", "is_local", "retired_on"]
        return locked if obj.is_local else [*locked, "name"]

    def get_fields(self, request: HttpRequest, obj: Category | None = None) -> list[str]:
        if obj is None:
            return ["kind", "code", "name", "name_en", "major_name"]
        return [
            "kind", "code", "name", "name_en", "major_code", "major_name", "edition",
            "is_local", "retired_on",
        ]  # fmt: skip

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        queryset, distinct = super().get_search_results(request, queryset, search_term)
        # The component form's autocomplete offers component types in use only.
        if request.GET.get("model_name") == "component":
            queryset = queryset.components().active()
        return queryset, distinct

    @admin.action(description=_("停用所选地方扩展编码（今天起）"))
    def retire_selected(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        for category in queryset.order_by("pk"):
            try:
                services.category_retire(category=category)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)


@admin.register(LegacyCategoryCode)
class LegacyCategoryCodeAdmin(ServiceSavedAdmin):
    form = LegacyCategoryCodeForm
    list_display = ["kind", "code", "category", "note"]
    list_filter = ["kind"]
    search_fields = ["code", "category__code", "category__name"]
    autocomplete_fields = ["category"]
    list_select_related = ["category"]


@admin.register(Component)
class ComponentAdmin(ServiceSavedAdmin, LeafletGeoAdmin):
    form = ComponentForm
    list_display = [
        "identifier", "name", "category", "status", "grid_code", "street_name",
        "community_name", "change_date",
    ]  # fmt: skip
    list_filter = ["status", MajorFilter, "data_source"]
    # Prefix searches use the identifier's and grid code's indexes, so search stays fast at 10^6.
    search_fields = ["identifier__startswith", "grid_code__startswith", "name"]
    list_select_related = ["category"]
    autocomplete_fields = ["category"]
    show_full_result_count = False
    readonly_fields = [
        "grid", "grid_code", "street_code", "street_name", "community_code", "community_name",
    ]  # fmt: skip
    fieldsets = [
        (None, {"fields": ["category", "geometry", "identifier", "name", "status"]}),
        (
            _("责任单位"),
            {
                "fields": [
                    ("supervising_unit_code", "supervising_unit_name"),
                    ("owner_unit_code", "owner_unit_name"),
                    ("maintenance_unit_code", "maintenance_unit_name"),
                ]
            },
        ),
        (_("记录"), {"fields": ["survey_date", "change_date", "data_source", "remarks"]}),
        (
            _("位置（按几何自动确定）"),
            {"fields": ["grid", "grid_code", ("street_code", "street_name"),
                        ("community_code", "community_name")]},
        ),
    ]  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Component | None = None) -> list[str]:
        fields = list(self.readonly_fields)
        if obj is not None:
            fields.append("identifier")
        return fields

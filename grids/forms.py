"""Forms that write through the services: used by the admin, so a staff edit obeys the same rules
as an import (codes checked, areas measured, grids versioned, identifiers issued)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridcity.errors import DomainError
from grids import services
from grids.models import Area, Category, Component, Grid, LegacyCategoryCode


class ServiceModelForm(forms.ModelForm):
    """A model form whose clean() performs the write through a service.

    The admin view runs in one transaction, so a later failure still rolls the write back; a
    domain error becomes a form error on the page instead of a server error.
    """

    def run_service(self, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            try:
                self.instance = self.run_service(data)
            except DomainError as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from exc
        return data

    def _post_clean(self) -> None:
        # The service validated and saved the instance; re-validating the model here would only
        # repeat its checks against a row that already exists.
        pass


class AreaForm(ServiceModelForm):
    class Meta:
        model = Area
        fields = ["code", "name", "boundary"]

    def run_service(self, data: dict[str, Any]) -> Area:
        if self.instance.pk is None:
            return services.area_create(
                code=data["code"], name=data["name"], boundary=data.get("boundary")
            )
        return services.area_update(
            area=self.instance,
            name=data["name"],
            boundary=data.get("boundary") if "boundary" in self.changed_data else None,
        )


class GridForm(ServiceModelForm):
    class Meta:
        model = Grid
        fields = ["code", "community", "boundary", "grade", "valid_from"]
        help_texts = {
            "boundary": _(
                "修改现行网格的边界会停用原网格并从今天起启用新版本（当天启用的网格直接更正）。"
            )
        }

    def run_service(self, data: dict[str, Any]) -> Grid:
        if self.instance.pk is None:
            return services.grid_create(
                code=data["code"],
                community=data["community"],
                boundary=data["boundary"],
                grade=data["grade"],
                valid_from=data.get("valid_from"),
            )
        changed = set(self.changed_data)
        if not changed & {"boundary", "grade"}:
            return self.instance
        old = Grid.objects.get(pk=self.instance.pk)
        boundary = data["boundary"] if "boundary" in changed else None
        grade = data["grade"] if "grade" in changed else None
        if old.valid_from == timezone.localdate():
            return services.grid_boundary_correct(grid=old, boundary=boundary, grade=grade)
        return services.grid_retire_and_replace(grid=old, boundary=boundary, grade=grade)


class CategoryForm(ServiceModelForm):
    """New rows are local extension codes; national rows only take an English name."""

    class Meta:
        model = Category
        fields = ["kind", "code", "name", "name_en", "major_name"]
        help_texts = {"code": _("地方扩展编码：小类 080 及以上，或大类 21、99。")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "major_name" in self.fields:
            # Taken from the directory for an existing major; needed only for majors 21 / 99.
            self.fields["major_name"].required = False

    def run_service(self, data: dict[str, Any]) -> Category:
        if self.instance.pk is None:
            return services.category_local_add(
                kind=data["kind"],
                code=data["code"],
                name=data["name"],
                major_name=data.get("major_name", ""),
                name_en=data.get("name_en", ""),
            )
        return services.category_update(
            category=self.instance, name=data.get("name"), name_en=data.get("name_en")
        )


class LegacyCategoryCodeForm(ServiceModelForm):
    class Meta:
        model = LegacyCategoryCode
        fields = ["kind", "code", "category", "note"]

    def run_service(self, data: dict[str, Any]) -> LegacyCategoryCode:
        return services.legacy_code_map(
            kind=data["kind"], code=data["code"], category=data["category"], note=data["note"]
        )


COMPONENT_FIELDS = [
    "category",
    "geometry",
    "identifier",
    "name",
    "supervising_unit_code",
    "supervising_unit_name",
    "owner_unit_code",
    "owner_unit_name",
    "maintenance_unit_code",
    "maintenance_unit_name",
    "status",
    "survey_date",
    "change_date",
    "data_source",
    "remarks",
]


class ComponentForm(ServiceModelForm):
    class Meta:
        model = Component
        fields = COMPONENT_FIELDS
        help_texts = {"identifier": _("留空则按区县和类别自动编号。")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "identifier" in self.fields:
            self.fields["identifier"].required = False
        if "category" in self.fields:
            self.fields["category"].queryset = Category.objects.components().active()

    def run_service(self, data: dict[str, Any]) -> Component:
        if self.instance.pk is None:
            values = {k: v for k, v in data.items() if k in COMPONENT_FIELDS and v is not None}
            return services.component_create(**values)
        changes = {
            k: data[k] for k in self.changed_data if k in COMPONENT_FIELDS and k != "identifier"
        }
        if not changes:
            return self.instance
        return services.component_update(component=self.instance, changes=changes)

"""Filters of the city model, shared by the API and any HTML list: area prefixes, bounding boxes,
dates in force, categories by code (current or legacy) and nearness."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from gridcity.errors import DomainError
from gridcity.geo import make_point
from grids.models import Area, Category, Component, Grid
from grids.selectors import category_resolve, category_search, components_near, in_bbox
from grids.spatial import parse_bbox


def _numbers(value: str, count: int, what: str) -> list[float]:
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        numbers = []
    if len(numbers) != count:
        raise ValidationError({what: _("应为 %(n)s 个以逗号分隔的数字。") % {"n": count}})
    return numbers


class BBoxFilter(django_filters.CharFilter):
    """`bbox=west,south,east,north` in WGS84: an index-backed && prefilter, then intersects."""

    def __init__(self, *args: Any, geometry_field: str, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("经纬度范围：西,南,东,北"))
        super().__init__(*args, **kwargs)
        self.geometry_field = geometry_field

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if not value:
            return qs
        try:
            return in_bbox(qs, field=self.geometry_field, bbox=parse_bbox(value))
        except DomainError as exc:
            raise ValidationError({"bbox": exc.message}) from exc


class WithinFilter(django_filters.CharFilter):
    """`within=<area code>`: everything under a district, street or community (code prefix)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("lookup_expr", "startswith")
        kwargs.setdefault("help_text", _("区县、街道或社区编码"))
        super().__init__(*args, **kwargs)


class AreaFilter(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Area.Level.choices)
    parent = django_filters.CharFilter(field_name="parent__code", help_text=_("上级编码"))
    within = WithinFilter(field_name="code")
    bbox = BBoxFilter(geometry_field="boundary")

    class Meta:
        model = Area
        fields = ["level", "parent", "within", "bbox"]


class GridFilter(django_filters.FilterSet):
    """Grids in force today unless `on=<date>` or `include_retired=true` says otherwise."""

    within = WithinFilter(field_name="code")
    community = django_filters.CharFilter(field_name="community__code")
    grade = django_filters.ChoiceFilter(choices=Grid.Grade.choices)
    on = django_filters.DateFilter(method="filter_noop", help_text=_("该日现行的网格"))
    include_retired = django_filters.BooleanFilter(method="filter_noop")
    bbox = BBoxFilter(geometry_field="boundary")

    class Meta:
        model = Grid
        fields = ["code", "within", "community", "grade", "on", "include_retired", "bbox"]

    def filter_noop(self, qs: QuerySet, name: str, value: Any) -> QuerySet:
        return qs  # applied together in filter_queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if data.get("include_retired") and not data.get("on"):
            return queryset
        return queryset.current(on=data.get("on") or timezone.localdate())


class CategoryFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Category.Kind.choices)
    major = django_filters.CharFilter(field_name="major_code")
    active = django_filters.BooleanFilter(method="filter_active")
    q = django_filters.CharFilter(
        method="filter_q", help_text=_("编码前缀、名称、拼音全拼或拼音首字母")
    )

    class Meta:
        model = Category
        fields = ["kind", "code", "major", "is_local", "active", "q"]

    def filter_active(self, qs: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return qs
        active = qs.active()
        return active if value else qs.exclude(pk__in=active.values("pk"))

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return category_search(qs, q=value)


class ComponentFilter(django_filters.FilterSet):
    """`category` takes a 5-digit code or a legacy 4-digit one; `near=lon,lat,metres` orders the
    result nearest first and adds distance_m."""

    category = django_filters.CharFilter(method="filter_category")
    major = django_filters.CharFilter(field_name="category__major_code")
    status = django_filters.ChoiceFilter(choices=Component.Status.choices)
    within = WithinFilter(field_name="grid_code")
    grid = django_filters.CharFilter(field_name="grid_code")
    bbox = BBoxFilter(geometry_field="geometry")
    near = django_filters.CharFilter(method="filter_near", help_text=_("经度,纬度,米"))

    class Meta:
        model = Component
        fields = ["category", "major", "status", "within", "grid", "bbox", "near"]

    def filter_category(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        try:
            category = category_resolve(kind=Category.Kind.COMPONENT, code=value)
        except DomainError as exc:
            raise ValidationError({"category": exc.message}) from exc
        return qs.filter(category=category)

    def filter_near(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        lon, lat, meters = _numbers(value, 3, "near")
        try:
            point = make_point(lon=lon, lat=lat)
            near = components_near(point=point, meters=meters)
        except (DomainError, ValueError) as exc:
            raise ValidationError({"near": getattr(exc, "message", str(exc))}) from exc
        return near.filter(pk__in=qs.values("pk"))

"""Case list filters, shared by the API and the HTML lists."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from cases.models import Case, TimerColour, Urgency
from cases.workflow import Source, Status, Step
from grids.models import Category


class CaseFilter(django_filters.FilterSet):
    # distinct=False: these filters join nothing, so they cannot repeat a case, and the
    # MultipleChoiceFilter's default SELECT DISTINCT over every column (the location too) made
    # each queue page and its count sort the whole matching set.
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, distinct=False, label=_("状态")
    )
    step = django_filters.ChoiceFilter(choices=Step.choices, label=_("当前环节"))
    timer_colour = django_filters.MultipleChoiceFilter(
        choices=[c for c in TimerColour.choices if c[0]], distinct=False, label=_("计时灯")
    )
    source = django_filters.MultipleChoiceFilter(
        choices=Source.choices, distinct=False, label=_("来源")
    )
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, label=_("紧急程度"))
    kind = django_filters.ChoiceFilter(
        field_name="category__kind", choices=Category.Kind.choices, label=_("部件/事件")
    )
    category = django_filters.NumberFilter(field_name="category_id", label=_("类别 ID"))
    category_code = django_filters.CharFilter(
        field_name="category__code", lookup_expr="startswith", label=_("类别编码前缀")
    )
    area = django_filters.CharFilter(
        method="filter_area", label=_("区域编码前缀（区、街道、社区或网格）")
    )
    department = django_filters.NumberFilter(method="filter_department", label=_("部门 ID"))
    reported_after = django_filters.DateFilter(
        field_name="reported_at", lookup_expr="date__gte", label=_("上报日期起")
    )
    reported_before = django_filters.DateFilter(
        field_name="reported_at", lookup_expr="date__lte", label=_("上报日期止")
    )
    urged = django_filters.BooleanFilter(label=_("已督办"))
    duplicate = django_filters.BooleanFilter(
        field_name="duplicate_of", lookup_expr="isnull", exclude=True, label=_("疑似重复")
    )
    number = django_filters.CharFilter(lookup_expr="startswith", label=_("案件编号前缀"))

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_area(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        # Grid codes start with the community code, which starts with the street and district.
        return queryset.filter(grid__code__startswith=value.strip())

    def filter_department(self, queryset: QuerySet[Case], name: str, value: int) -> QuerySet[Case]:
        involved = Case.objects.filter(
            Q(lead_department_id=value) | Q(assisting_departments=value)
        ).values("pk")
        return queryset.filter(pk__in=involved)

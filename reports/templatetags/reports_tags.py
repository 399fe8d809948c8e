"""Template helpers of the report pages: percentages and the link from a number to its cases."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html

from reports.indices import MEASURES

register = template.Library()


@register.filter
def pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}%"


@register.filter
def measure_label(measure: str) -> str:
    return str(MEASURES.get(measure, measure))


@register.filter
def get(mapping: dict, key: str) -> object:
    return mapping.get(key) if mapping else None


@register.simple_tag
def cases_url(period_query: str, dimension: str, key: str, measure: str) -> str:
    query = urlencode({"dimension": dimension, "key": key, "measure": measure})
    return f"{reverse('reports:cases')}?{period_query}&{query}"


@register.simple_tag
def count_link(period_query: str, dimension: str, key: str, measure: str, counts: dict) -> str:
    """The count of ``measure`` as a link to the list of exactly those cases."""
    value = counts.get(measure, 0)
    return format_html(
        '<a class="count" href="{}" title="{}" data-measure="{}">{}</a>',
        cases_url(period_query, dimension, key, measure),
        MEASURES[measure],
        measure,
        value,
    )

"""Template helpers of the report pages: percentages and the link from a number to its cases."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import quote_plus, urlencode

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from reports.indices import MEASURES

if TYPE_CHECKING:
    from reports.indices import RateDef
    from reports.selectors import Row

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


class CountLinks:
    """The links from the numbers of one period and dimension to exactly their cases. What
    the links share is built and escaped once: reverse(), urlencode() and format_html() for each
    cell cost about 1 ms, and a ranking has 28 linked cells per unit."""

    def __init__(self, period_query: str, dimension: str) -> None:
        self._prefix = (
            f"{reverse('reports:cases')}?{period_query}&{urlencode({'dimension': dimension})}&key="
        )
        self._html_prefix = escape(self._prefix)
        self._keys: dict[str, str] = {}
        self._measures: dict[str, tuple[str, str]] = {}

    def url(self, key: str, measure: str) -> str:
        return f"{self._prefix}{quote_plus(str(key))}&{urlencode({'measure': measure})}"

    def link(self, key: str, measure: str, counts: dict[str, int]) -> str:
        """The count of ``measure`` as HTML: a link to the list of exactly those cases."""
        href = self._keys.get(key)
        if href is None:
            # quote_plus() leaves nothing HTML would read: only the shared prefix is escaped.
            href = self._keys[key] = f"{self._html_prefix}{quote_plus(str(key))}"
        parts = self._measures.get(measure)
        if parts is None:
            parts = self._measures[measure] = (
                escape(f"&{urlencode({'measure': measure})}"),
                f'title="{escape(MEASURES[measure])}" data-measure="{escape(measure)}"',
            )
        value = int(counts.get(measure, 0))
        return f'<a class="count" href="{href}{parts[0]}" {parts[1]}>{value}</a>'


@register.simple_tag
def count_links(period_query: str, dimension: str) -> CountLinks:
    """``{% count_links period_query dimension.key as links %}``: the links of one table."""
    return CountLinks(period_query, dimension)


@register.simple_tag
def cases_url(period_query: str, dimension: str, key: str, measure: str) -> str:
    return CountLinks(period_query, dimension).url(key, measure)


@register.simple_tag
def count_link(period_query: str, dimension: str, key: str, measure: str, counts: dict) -> str:
    """The count of ``measure`` as a link to the list of exactly those cases."""
    html = CountLinks(period_query, dimension).link(key, measure, counts)
    return mark_safe(html)  # noqa: S308  every part is escaped in link()


@register.simple_tag
def rate_cells(links: CountLinks, row: Row, rates: list[RateDef]) -> SafeString:
    """The rate cells of one table row, each rate over its numerator and denominator linked to
    their cases, rendered here rather than cell by cell in the template (a ranking has
    thousands)."""
    cells = [
        f'<td class="num">{escape(pct(row.rates.get(r.key)))}<br><span class="parts">'
        f"{links.link(row.key, r.numerator, row.counts)}/"
        f"{links.link(row.key, r.denominator, row.counts)}</span></td>"
        for r in rates
    ]
    return mark_safe("\n".join(cells))  # noqa: S308  every part is escaped above

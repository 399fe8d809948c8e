"""Query counts of the report pages: the overview reads the facts once whatever the length of
its trend, a ranking reads them once whatever the number of units, and a ranking split into
pages keeps the ranks and the total computed over every unit."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.files import report_table
from reports.views import RANKING_PAGE_SIZE
from tests.factories.reports import random_facts

# The random facts fall between October 2025 and August 2026.
SPAN = "kind=custom&first=2025-10-01&last=2026-09-30"
MONTH = "kind=month&day=2026-03-01"


def read(client, url: str) -> tuple[object, int, int]:
    """The response, its number of queries, and how many of them read the facts."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    sqls = [q["sql"] for q in captured.captured_queries]
    return response, len(sqls), sum("cases_casefact" in sql for sql in sqls)


def test_overview_reads_the_facts_once_whatever_the_trend_length(world, client, settings):
    random_facts(world, count=60)
    client.force_login(world.supervisor)
    url = f"{reverse('reports:home')}?{MONTH}"
    settings.GRIDCITY_REPORTS_TREND_PERIODS = 2
    short, few, short_reads = read(client, url)

    settings.GRIDCITY_REPORTS_TREND_PERIODS = 12
    long, many, long_reads = read(client, url)

    assert many <= few
    assert short_reads == long_reads == 1
    assert len(short.context["chart"]["labels"]) == 2
    assert len(long.context["chart"]["labels"]) == 12
    assert (
        long.context["chart"]["series"][0]["data"][-2:]
        == (short.context["chart"]["series"][0]["data"])
    )


def test_rankings_read_the_facts_once_whatever_the_number_of_units(world, client):
    random_facts(world, count=30, grids=3)
    client.force_login(world.supervisor)
    urls = [
        f"{reverse('reports:table', args=[dimension])}?{SPAN}"
        for dimension in ("grid", "department", "inspector", "major")
    ]
    before = {url: read(client, url) for url in urls}
    grid_units = len(before[urls[0]][0].context["report"].rows)

    random_facts(world, count=300, grids=150, seed=8)

    for url in urls:
        _response, queries, fact_reads = read(client, url)
        assert queries <= before[url][1], url
        assert fact_reads == 1, url
    assert len(read(client, urls[0])[0].context["report"].rows) >= grid_units + 100


def test_ranking_pages_keep_the_global_ranks_and_total(world, client, settings):
    settings.GRIDCITY_REPORTS_MIN_SAMPLE = 1
    random_facts(world, count=500, grids=150)
    client.force_login(world.supervisor)
    url = f"{reverse('reports:table', args=['grid'])}?{SPAN}"

    first = client.get(url)
    second = client.get(f"{url}&page=2")

    report = first.context["report"]
    shown = [*first.context["page"], *second.context["page"]]
    ranks = [row.rank for row in shown if row.rank is not None]
    assert RANKING_PAGE_SIZE < len(report.rows) <= 2 * RANKING_PAGE_SIZE
    assert len(first.context["page"]) == RANKING_PAGE_SIZE
    assert [row.key for row in shown] == [row.key for row in report.rows]
    assert ranks == list(range(1, len(ranks) + 1)) and len(ranks) > RANKING_PAGE_SIZE
    assert second.context["report"].total.counts == report.total.counts
    assert sum(row.counts["due"] for row in report.rows) == report.total.counts["due"]
    body = second.content.decode()
    top_of_second = second.context["page"][0]
    assert f'<th scope="row">{top_of_second.label}</th>' in body
    assert f'<td class="num">{top_of_second.rank}</td>' in body
    assert "page=2" in first.content.decode() and "第 2 / 2 页" in body
    _header, lines = report_table(report)  # the export holds every unit and the total
    assert len(lines) == len(report.rows) + 1

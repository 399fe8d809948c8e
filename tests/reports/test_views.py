"""The report pages: the overview states its period convention and shows the hand-counted rates,
every dimension's table renders with its scores, every number opens exactly its cases, and
people without a reporting role are turned away."""

from __future__ import annotations

import json

from django.urls import reverse

from reports.views import TABLE_DIMENSIONS

WEEK_2 = "kind=week&day=2026-03-09"


def test_overview_shows_the_rates_their_parts_and_the_convention(fortnight, world, client):
    client.force_login(world.supervisor)

    response = client.get(f"{reverse('reports:home')}?{WEEK_2}")

    body = response.content.decode()
    assert response.status_code == 200
    assert "统计口径" in body and "挂账中的案件不计入" in body
    assert "2026-03-09 ~ 2026-03-15" in body
    assert "77.78%" in body  # closing rate 7 / 9
    assert 'data-measure="due">9</a>' in body
    trend = json.loads(json.dumps(response.context["chart"]))  # as the page's script reads it
    assert trend["labels"][-1] == "2026-03-09 ~ 2026-03-15"
    closing = trend["series"][0]["data"]
    assert closing[-2:] == [0.0, 77.78]  # week 1: nothing closed of 1 due


def test_every_dimension_table_renders(fortnight, world, client):
    client.force_login(world.supervisor)

    statuses = {
        key: client.get(f"{reverse('reports:table', args=[key])}?{WEEK_2}").status_code
        for key in TABLE_DIMENSIONS
    }

    assert set(statuses.values()) == {200}


def test_department_table_ranks_with_scores_and_grades(fortnight, world, client, settings):
    settings.GRIDCITY_REPORTS_MIN_SAMPLE = 5
    client.force_login(world.supervisor)

    response = client.get(f"{reverse('reports:table', args=['department'])}?{WEEK_2}")

    rows = response.context["report"].rows
    assert [(r.label, r.rank, str(r.score), r.grade) for r in rows] == [
        (world.sanitation.name, 1, "77.50", "B"),
        # volume 1/8 → 12.50 × 10 % + closing 0 × 30 % + on-time handling 100 × 30 %
        # + (100 − rework 0) × 30 % = 61.25: graded, but unranked with one case
        (world.street_office.name, None, "61.25", "C"),
    ]
    assert "样本少于 5 件的单位列出但不参与排名" in response.content.decode()


def test_case_list_holds_exactly_the_cases_counted(fortnight, world, client):
    client.force_login(world.supervisor)
    url = (
        f"{reverse('reports:cases')}?{WEEK_2}&dimension=department"
        f"&key={world.sanitation.pk}&measure=closed_on_time"
    )

    response = client.get(url)

    numbers = {case.number for case in response.context["page"]}
    assert numbers == {fortnight[x].number for x in "ACDM"}
    assert '<strong class="case-count">4</strong>' in response.content.decode()


def test_heat_map_counts_the_cases_reported_in_the_period(fortnight, world, client):
    client.force_login(world.supervisor)

    response = client.get(f"{reverse('reports:map')}?{WEEK_2}")

    assert response.status_code == 200
    assert response.context["total"] == 11  # reported in week 2: all but I and J


def test_people_without_a_reporting_role_are_turned_away(world, client):
    client.force_login(world.handler)

    response = client.get(reverse("reports:home"))

    assert response.status_code == 403


def test_bad_period_falls_back_with_a_message(world, client):
    client.force_login(world.supervisor)

    response = client.get(f"{reverse('reports:home')}?kind=custom&first=2026-03-09&last=x")

    assert response.status_code == 200
    assert "日期格式应为 YYYY-MM-DD" in response.content.decode()

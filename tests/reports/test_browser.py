"""A supervisor opens the reports in headless Chromium, reads the week's rates and chart, clicks
a number and sees exactly the cases behind it; then the department ranking, its export (tasks
run in process here; tests/reports/test_exports.py uses the real worker) and the heat map."""

from __future__ import annotations

import pytest

from cases.models import Case
from departments.models import DutyPeriod, TimeLimit
from departments.seeding import load_duty_hours, load_time_limits
from grids.models import Category
from reports.models import GradeBand, ScoreScheme, ScoreWeight
from reports.seeding import load_score_schemes
from tests.factories.cases import World, build_world
from tests.factories.reports import build_fortnight

PASSWORD = "pw-test-123"  # tests.factories.departments.UserFactory
WEEK_2 = "kind=week&day=2026-03-09"


@pytest.fixture
def world(transactional_db: None, tasks_in_process: None) -> World:
    made = build_world()
    load_duty_hours(DutyPeriod)
    load_time_limits(TimeLimit, Category)
    load_score_schemes(ScoreScheme, ScoreWeight, GradeBand)
    return made


@pytest.fixture
def fortnight(world: World) -> dict[str, Case]:
    return build_fortnight(world)


@pytest.mark.browser
def test_supervisor_clicks_a_number_and_sees_its_cases(
    browser, live_server, world, fortnight, screenshot
):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/?next=/reports/%3F{WEEK_2.replace('&', '%26')}")
    page.get_by_label("用户名").fill(world.supervisor.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="考核总览").wait_for()
    page.locator("#trend-chart canvas").wait_for()
    screenshot(page, "overview")

    closing = page.locator(".kpi").filter(has_text="结案率").first
    assert closing.locator(".kpi-value").inner_text() == "77.78%"
    closing.locator('a[data-measure="due"]').click()
    page.wait_for_url("**/reports/cases/**")
    screenshot(page, "cases")

    assert page.locator(".case-count").inner_text() == "9"
    shown = set(page.locator(".case-table tbody tr td:first-child").all_inner_texts())
    assert shown == {fortnight[x].number for x in "ABCDIJMFK"}

    page.get_by_role("navigation", name="考核报表").get_by_role("link", name="主办部门").click()
    page.get_by_role("heading", name="按主办部门统计").wait_for()
    page.locator("#bar-chart canvas").wait_for()
    screenshot(page, "departments")
    first_row = page.locator(".report-table tbody tr").first
    assert world.sanitation.name in first_row.inner_text()

    page.get_by_label("导出本报表").select_option("xlsx")
    page.get_by_role("button", name="导出").click()
    page.get_by_role("link", name="下载文件").wait_for()
    assert page.locator("#export-progress").get_attribute("value") == "100"
    screenshot(page, "export")
    page.go_back()

    page.get_by_role("link", name="热力图").click()
    page.locator("#heat-map canvas").wait_for()
    screenshot(page, "heatmap")
    context.close()

"""The inspector's journeys on a 360 × 640 phone in headless Chromium: report with a photo
(once with the signal gone: the report waits in the outbox and is sent exactly once when the
signal returns), see it in My reports, and answer a verification and a re-inspection task."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cases.models import Case
from cases.workflow import Source, Status
from tests.factories.cases import World, build_world, case_in_state, jpeg_bytes, report_case

PHONE = {"width": 360, "height": 640}
PASSWORD = "pw-test-123"  # tests.factories.departments.UserFactory


@pytest.fixture
def world(transactional_db: None) -> World:
    return build_world()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "site.jpg"
    path.write_bytes(jpeg_bytes(size=(1200, 900), colour=(120, 90, 60)))
    return path


@pytest.fixture
def phone(browser, world: World, live_server) -> Iterator[object]:
    """A logged-in inspector's phone standing in the middle of the first grid."""
    here = world.point()
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation={"longitude": here.x, "latitude": here.y},
        permissions=["geolocation"],
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/m/")
    page.get_by_label("用户名").fill(world.inspector.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/m/")
    yield page
    context.close()


def fill_report(page, *, world: World, photo: Path, description: str) -> None:
    page.get_by_role("button", name="定位我的位置").click()
    page.locator("#location-grid").filter(has_text=world.grids[0].code).wait_for()
    page.get_by_label("搜索类别：名称、拼音、拼音首字母或编码").fill("bllj")
    page.get_by_role("radio", name="暴露垃圾 · 事件 06010").check()
    page.locator("#photos").set_input_files(str(photo))
    page.locator("#photo-previews img").first.wait_for()
    page.get_by_label("问题描述").fill(description)


@pytest.mark.browser
def test_inspector_reports_with_a_photo_and_sees_it_in_my_reports(
    phone, world: World, photo: Path, screenshot
) -> None:
    page = phone
    screenshot(page, "report-empty")

    fill_report(page, world=world, photo=photo, description="人行道上有一堆暴露垃圾")
    screenshot(page, "report-filled")
    page.get_by_role("button", name="提交上报").click()

    page.locator("#sent").filter(has_text="已上报，案件编号").wait_for()
    case = Case.objects.get(description="人行道上有一堆暴露垃圾")
    assert case.reporter == world.inspector
    assert case.grid == world.grids[0]
    assert case.photos.count() == 1
    assert page.locator("#outbox-count").inner_text() == "0"
    screenshot(page, "report-sent")

    page.get_by_role("link", name="我的上报").click()
    card = page.locator(".m-card").filter(has_text=case.number)
    assert "待受理" in card.inner_text()
    screenshot(page, "my-reports")


@pytest.mark.browser
def test_report_made_offline_waits_in_the_outbox_and_is_sent_once_back_online(
    phone, world: World, photo: Path, screenshot
) -> None:
    page = phone
    fill_report(page, world=world, photo=photo, description="信号不好时上报的垃圾")

    page.context.set_offline(True)
    page.get_by_role("button", name="提交上报").click()

    item = page.locator("#outbox-list li").filter(has_text="暴露垃圾")
    item.filter(has_text="等待发送").wait_for()
    assert page.locator("#outbox-count").inner_text() == "1"
    assert page.locator("#network-state").inner_text() == "当前离线"
    assert not Case.objects.filter(description="信号不好时上报的垃圾").exists()
    screenshot(page, "outbox-offline")

    page.context.set_offline(False)

    page.locator("#sent").filter(has_text="已上报，案件编号").wait_for()
    page.locator("#outbox-list li").first.wait_for(state="detached")
    assert page.locator("#outbox-count").inner_text() == "0"
    assert Case.objects.filter(description="信号不好时上报的垃圾").count() == 1
    screenshot(page, "outbox-sent")

    # A reload retries whatever is left; nothing is, so still exactly one case.
    page.reload()
    page.locator("#network-state").filter(has_text="网络已连接").wait_for()
    assert page.locator("#outbox-count").inner_text() == "0"
    assert Case.objects.filter(description="信号不好时上报的垃圾").count() == 1


@pytest.mark.browser
def test_inspector_passes_a_verification_and_a_reinspection_from_my_tasks(
    phone, world: World, photo: Path, screenshot, live_server
) -> None:
    verification = report_case(
        world,
        source=Source.PUBLIC,
        photos=[],
        description="群众举报：井盖缺失",
        reporter_name="王先生",
        reporter_phone="13800000000",
    )
    reinspection = case_in_state(world, Status.AWAITING_REINSPECTION)
    page = phone

    page.goto(f"{live_server.url}/m/tasks/")
    assert page.get_by_role("link", name="我的任务 2").is_visible()
    screenshot(page, "tasks")

    page.locator(".m-card").filter(has_text=verification.number).click()
    page.get_by_label("核查意见").fill("现场确有井盖缺失")
    page.locator("#task-photos").set_input_files(str(photo))
    page.locator("#task-photo-count").filter(has_text="已选 1 张照片").wait_for()
    screenshot(page, "task-verification")
    page.get_by_role("button", name="核实属实").click()
    page.get_by_text(f"案件 {verification.number}：核实属实，已提交。").wait_for()

    page.locator(".m-card").filter(has_text=reinspection.number).click()
    assert page.get_by_role("button", name="核实属实").count() == 0
    page.locator("#task-photos").set_input_files(str(photo))
    page.locator("#task-photo-count").filter(has_text="已选 1 张照片").wait_for()
    screenshot(page, "task-reinspection")
    page.get_by_role("button", name="核查通过").click()
    page.get_by_text(f"案件 {reinspection.number}：核查通过，已提交。").wait_for()
    screenshot(page, "tasks-done")

    verification.refresh_from_db()
    reinspection.refresh_from_db()
    assert verification.status == Status.REPORTED
    assert reinspection.status == Status.AWAITING_CLOSING
    assert reinspection.photos.filter(stage="reinspection").count() == 1
    assert page.locator(".m-card").count() == 0


@pytest.mark.browser
def test_tapping_the_map_outside_the_city_says_so_and_nothing_is_sent(
    phone, world: World, photo: Path, screenshot
) -> None:
    page = phone
    page.get_by_label("搜索类别：名称、拼音、拼音首字母或编码").fill("暴露")
    page.get_by_role("radio", name="暴露垃圾 · 事件 06010").check()
    page.locator("#photos").set_input_files(str(photo))
    page.get_by_label("问题描述").fill("城外的问题")

    # The map opens on the grid I patrol, the city's westernmost: its left edge is outside.
    page.locator("#report-map").click(position={"x": 8, "y": 120})
    page.locator("#location-grid").filter(has_text="不在任何现行单元网格内").wait_for()
    page.get_by_role("button", name="提交上报").click()

    assert "不在任何现行单元网格内" in page.locator("#form-status").inner_text()
    assert page.locator("#outbox-count").inner_text() == "0"
    assert not Case.objects.filter(description="城外的问题").exists()
    screenshot(page, "outside-city")


def log_in(page, live_server, user) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/?next=/m/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/m/")


@pytest.mark.browser
def test_outbox_waits_for_the_account_that_made_the_report(
    phone, world: World, photo: Path, screenshot, live_server
) -> None:
    page = phone
    fill_report(page, world=world, photo=photo, description="交班前没发出去的上报")
    page.context.set_offline(True)
    page.get_by_role("button", name="提交上报").click()
    page.locator("#outbox-list li").filter(has_text="等待发送").wait_for()
    # The session ends before the signal returns: the try is refused, the report keeps waiting.
    page.context.clear_cookies()
    page.context.set_offline(False)
    page.locator("#outbox-list li .m-muted").filter(has_text="身份认证信息未提供").wait_for()
    assert "等待发送" in page.locator("#outbox-list li").inner_text()

    # Another inspector takes over the phone.
    log_in(page, live_server, world.other_inspector)

    item = page.locator("#outbox-list li").filter(has_text="其他账户的上报")
    item.wait_for()
    assert item.get_by_role("button", name="重试").count() == 0
    assert not Case.objects.filter(description="交班前没发出去的上报").exists()
    screenshot(page, "outbox-other-account")

    log_in(page, live_server, world.inspector)

    page.locator("#sent").filter(has_text="已上报，案件编号").wait_for()
    case = Case.objects.get(description="交班前没发出去的上报")
    assert case.reporter == world.inspector

"""The desk journeys in headless Chromium: the command centre accepts, files and dispatches
(once in bulk), the department reports handled with an "after" photo on a phone after an
extension the dispatcher approves, the case is sent for re-inspection and closed; a case
reported meanwhile appears on the open page without a reload."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from cases import services
from cases.models import Case
from cases.web import common
from cases.workflow import Status
from departments.roles import Role
from tests.factories.cases import World, build_world, jpeg_bytes, report_case
from tests.factories.departments import person_with_roles

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 360, "height": 640}
WAIT_MS = 15_000
SCRIPT_ERRORS: list[str] = []


@pytest.fixture(autouse=True)
def no_script_errors() -> Iterator[None]:
    """Every page of these tests runs its scripts without an uncaught error."""
    SCRIPT_ERRORS.clear()
    yield
    assert SCRIPT_ERRORS == []


@pytest.fixture
def world(transactional_db: None, tasks_in_process: None) -> World:
    world = build_world()
    # One command-centre desk officer holding the three desk roles of a small city.
    world.people["desk"] = person_with_roles(
        Role.ACCEPTOR, Role.SHIFT_LEADER, Role.DISPATCHER, department=world.centre
    )
    return world


def signed_in(browser: object, live_server: object, user: object, viewport: dict) -> object:
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport, locale="zh-CN")  # type: ignore[attr-defined]
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,  # type: ignore[attr-defined]
            }
        ]
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: SCRIPT_ERRORS.append(str(error)))
    return page


def open_queue(page: object, live_server: object, path: str, queue: str) -> None:
    page.goto(f"{live_server.url}{path}?queue={queue}")  # type: ignore[attr-defined]


def open_case(page: object, case: Case) -> None:
    page.locator(f'#queue-panel a.case-link:text-is("{case.number}")').click()  # type: ignore[attr-defined]
    page.locator(f'#drawer [data-case="{case.pk}"]').wait_for()  # type: ignore[attr-defined]


def take(page: object, action: str, fill: dict[str, str] | None = None) -> None:
    """Open the action's form in the drawer, fill it, submit it and wait for the answer."""
    form = page.locator(f'#drawer form[data-action="{action}"]')  # type: ignore[attr-defined]
    if not form.is_visible():
        page.locator(f'#drawer details:has(form[data-action="{action}"]) > summary').click()  # type: ignore[attr-defined]
    for label, value in (fill or {}).items():
        form.get_by_label(label).fill(value)
    form.locator("button[type=submit]").click()
    page.locator("#drawer .notice").wait_for()  # type: ignore[attr-defined]
    notice = page.locator("#drawer .notice").inner_text()  # type: ignore[attr-defined]
    assert "已办理" in notice, notice


def status_of(case: Case) -> str:
    return Case.objects.get(pk=case.pk).status


@pytest.mark.browser
def test_case_goes_from_report_to_close_through_the_desks(
    live_server: object, browser: object, screenshot: object, world: World, tmp_path: Path
) -> None:
    first = report_case(world, description="人行道上暴露垃圾")
    second = report_case(world, location=world.point(grid=1), description="绿地里有垃圾袋")
    for case in (first, second):  # the suggestion, whether or not the task ran already
        services.case_after_report(case_id=case.pk)
    desk = signed_in(browser, live_server, world.desk, DESKTOP)

    # Accept and file both from their queues.
    open_queue(desk, live_server, "/dispatch/", "accept")
    desk.locator("#map[data-count='2']").wait_for()
    screenshot(desk, "dispatch-accept-queue")
    for case in (first, second):
        open_case(desk, case)
        if case is first:
            screenshot(desk, "dispatch-drawer-reported")
        take(desk, "accept")
    open_queue(desk, live_server, "/dispatch/", "file")
    for case in (first, second):
        open_case(desk, case)
        take(desk, "file")
    assert {status_of(first), status_of(second)} == {Status.FILED}

    # Dispatch the first from its drawer, choosing the department; the second in bulk.
    open_queue(desk, live_server, "/dispatch/", "dispatch")
    open_case(desk, first)
    suggested = desk.locator('#drawer form[data-action="dispatch"] select[name=lead]')
    assert suggested.input_value() == str(Case.objects.get(pk=first.pk).suggested_department_id)
    screenshot(desk, "dispatch-drawer-filed")
    desk.locator('#drawer details:has(form[data-action="dispatch"]) > summary').click()
    suggested.select_option(str(world.sanitation.pk))
    desk.locator('#drawer form[data-action="dispatch"] button[type=submit]').click()
    desk.locator("#drawer .notice-ok").wait_for()
    desk.locator("[data-close-drawer]").first.click()
    desk.locator(f'#queue-panel a.case-link:text-is("{first.number}")').wait_for(state="detached")
    desk.get_by_label(f"选择 {second.number}").check()
    desk.get_by_label("批量派遣所选案件至").select_option(str(world.sanitation.pk))
    desk.get_by_role("button", name="批量派遣").click()
    desk.locator("#bulk-result").get_by_text("成功 1 件，失败 0 件").wait_for()
    desk.locator(f'#queue-panel a.case-link:text-is("{second.number}")').wait_for(state="detached")
    screenshot(desk, "dispatch-bulk-result")
    assert {status_of(first), status_of(second)} == {Status.HANDLING}

    # The department, on a phone, asks for more time.
    phone = signed_in(browser, live_server, world.handler, PHONE)
    phone.goto(f"{live_server.url}/dept/")
    screenshot(phone, "dept-phone-queue")
    open_case(phone, first)
    take(
        phone,
        "request_extension",
        {"申请延期至": "2099-01-05T10:00", "理由（必填）": "需要更换设备"},
    )
    screenshot(phone, "dept-phone-extension-asked")

    # The dispatcher approves it from the approvals queue.
    open_queue(desk, live_server, "/dispatch/", "approve")
    open_case(desk, first)
    assert "需要更换设备" in desk.locator("#drawer").inner_text()
    take(desk, "approve_extension")
    assert Case.objects.get(pk=first.pk).extension_count == 1

    # The department sees the answer and reports handled with an "after" photo.
    photo = tmp_path / "after.jpg"
    photo.write_bytes(jpeg_bytes(colour=(200, 200, 200)))
    phone.reload()
    open_case(phone, first)
    assert "同意延期" in phone.locator("#drawer").inner_text()
    phone.locator('#drawer details:has(form[data-action="report_handled"]) > summary').click()
    phone.get_by_label("处置后照片（至少一张）").set_input_files(str(photo))
    phone.locator('#drawer form[data-action="report_handled"] button[type=submit]').click()
    phone.locator("#drawer .notice-ok").wait_for()
    phone.get_by_alt_text("处置后照片 1").wait_for()
    screenshot(phone, "dept-phone-handled")
    assert status_of(first) == Status.HANDLED

    # The command centre sends the re-inspection; the inspector passes it; the case closes.
    open_queue(desk, live_server, "/dispatch/", "reinspect")
    open_case(desk, first)
    take(desk, "send_for_reinspection")
    assert status_of(first) == Status.AWAITING_REINSPECTION
    services.case_reinspect_pass(case_id=first.pk, actor=world.inspector, note="已清理干净")
    open_queue(desk, live_server, "/dispatch/", "close")
    open_case(desk, first)
    take(desk, "close")
    desk.locator(f'#queue-panel a.case-link:text-is("{first.number}")').wait_for(state="detached")
    screenshot(desk, "dispatch-closed")
    assert status_of(first) == Status.CLOSED
    assert "结案" in desk.locator("#drawer .timeline").inner_text()
    desk.context.close()
    phone.context.close()


@pytest.mark.browser
def test_new_case_appears_on_the_open_page_without_reload(
    live_server: object, browser: object, screenshot: object, world: World
) -> None:
    report_case(world)
    desk = signed_in(browser, live_server, world.desk, DESKTOP)
    open_queue(desk, live_server, "/dispatch/", "accept")
    desk.evaluate("window.__sameDocument = true")
    count = desk.locator('[data-queue="accept"] .count')
    assert count.inner_text() == "1"

    fresh = report_case(world, location=world.point(dx=0.2), description="新上报：井盖缺失")

    desk.locator(f'#queue-panel a.case-link:text-is("{fresh.number}")').wait_for()
    assert count.inner_text() == "2"
    assert desk.evaluate("window.__sameDocument") is True
    desk.locator("#map[data-count='2']").wait_for()
    screenshot(desk, "dispatch-new-case-arrived")
    desk.context.close()


@pytest.mark.browser
def test_the_map_asks_for_the_cases_of_its_view_as_it_moves(
    live_server: object, browser: object, world: World
) -> None:
    report_case(world)
    report_case(world, location=world.point(grid=1), description="绿地里有垃圾袋")
    desk = signed_in(browser, live_server, world.desk, DESKTOP)
    asked: list[str] = []
    desk.on("request", lambda r: asked.append(r.url) if "map.geojson" in r.url else None)
    # The first answer places the cases; once the map has fitted them it asks for its own view
    # (padded), which holds both.
    with desk.expect_request(lambda r: "map.geojson" in r.url and "bbox=" in r.url):
        open_queue(desk, live_server, "/dispatch/", "accept")
    desk.wait_for_load_state("networkidle")
    desk.locator("#map[data-count='2']").wait_for(state="attached")
    assert "bbox=" not in asked[0]

    # Drag the map most of its width away from the cases (from a corner, not from a marker):
    # no case is in view any more, and the map says so after asking for the new view.
    desk.locator("#map").scroll_into_view_if_needed()
    box = desk.locator("#map").bounding_box()
    x, y = box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.2
    desk.mouse.move(x, y)
    desk.mouse.down()
    desk.mouse.move(x - box["width"] * 0.8, y, steps=12)
    desk.mouse.up()
    desk.locator("#map[data-count='0']").wait_for(state="attached")
    assert "bbox=" in asked[-1] and asked[-1] != asked[1]
    desk.context.close()


@pytest.mark.browser
def test_the_map_says_when_its_view_holds_more_cases_than_it_shows(
    live_server: object, browser: object, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "MAP_LIMIT", 1)  # the live server runs in this process
    report_case(world)
    report_case(world, location=world.point(grid=1), description="绿地里有垃圾袋")
    desk = signed_in(browser, live_server, world.desk, DESKTOP)

    open_queue(desk, live_server, "/dispatch/", "accept")
    desk.locator("#map[data-count='1']").wait_for(state="attached")

    note = desk.locator("#map-note")
    note.filter(has_text="请放大地图或缩小筛选范围").wait_for()
    assert note.is_visible()
    desk.context.close()


@pytest.mark.browser
def test_department_page_on_a_desktop_and_a_refusal_shown_in_chinese(
    live_server: object, browser: object, screenshot: object, world: World
) -> None:
    case = report_case(world)
    for action in ("accept", "file"):
        services.ACTION_SERVICES[action](case_id=case.pk, actor=world.desk)
    services.case_dispatch(case_id=case.pk, actor=world.desk, lead=world.sanitation)
    page = signed_in(browser, live_server, world.handler, DESKTOP)
    page.goto(f"{live_server.url}/dept/")
    open_case(page, case)
    # Someone else acts first: the form still carries the old version.
    services.case_request_suspension(case_id=case.pk, actor=world.department_lead, reason="预算")

    page.locator('#drawer details:has(form[data-action="request_sendback"]) > summary').click()
    page.locator('#drawer form[data-action="request_sendback"]').get_by_label("理由（必填）").fill(
        "不属于本部门"
    )
    page.locator('#drawer form[data-action="request_sendback"] button[type=submit]').click()

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert re.search("案件已被他人更新", alert.inner_text())
    screenshot(page, "dept-desktop-conflict")
    assert Case.objects.get(pk=case.pk).pending == "suspension"
    page.context.close()

"""The shared pages in a real browser: login, the home page that knows the person's roles,
and the Chinese/English switch."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from departments.roles import Role


@pytest.fixture
def dispatcher(transactional_db) -> User:
    user = User.objects.create_user("dispatcher1", password="pw-dispatch-123", first_name="李派遣")
    group, _ = Group.objects.get_or_create(name=Role.DISPATCHER.value)
    user.groups.add(group)
    return user


@pytest.mark.browser
def test_login_home_shows_roles_and_switches_to_english(
    live_server, browser, dispatcher, screenshot
):
    page = browser.new_page(viewport={"width": 1280, "height": 800})

    page.goto(f"{live_server.url}/")
    page.get_by_label("用户名").fill("dispatcher1")
    page.get_by_label("密码").fill("pw-dispatch-123")
    page.get_by_role("button", name="登录").click()

    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "工作台"
    assert "派遣员" in page.locator("main").inner_text()
    assert page.get_by_role("link", name="接口文档").is_visible()
    screenshot(page, "home-zh")

    # Choosing a language posts the form; wait for the page it leads to, not the current one.
    with page.expect_navigation():
        page.get_by_label("界面语言").select_option("en")

    assert page.locator("h1").inner_text() == "Workbench"
    assert "Dispatcher" in page.locator("main").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "home-en")
    page.close()


@pytest.mark.browser
def test_wrong_password_is_refused_with_a_message(live_server, browser, dispatcher):
    page = browser.new_page()

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("dispatcher1")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()

    assert page.get_by_role("alert").is_visible()
    assert "/accounts/login/" in page.url
    page.close()


def test_home_requires_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")

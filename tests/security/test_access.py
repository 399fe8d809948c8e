"""Who gets in: login throttling, secure cookies over HTTPS, a removed role refused on the very
next request, and administrators' changes written to the admin log."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import CHANGE, LogEntry
from django.test import Client
from django.utils import timezone

from cases.workflow import Status
from departments.models import Department
from departments.roles import Role
from departments.services import role_grant, role_revoke
from tests.factories.cases import build_world, case_in_state
from tests.gridcity.test_settings import run_python

pytestmark = pytest.mark.django_db
PASSWORD = "pw-test-123"


@pytest.fixture(autouse=True)
def throttling_on(settings):
    """Login throttling as deployed, even if the test settings turn it off for Client.login()."""
    settings.AXES_ENABLED = True


def _login(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


# ---------------------------------------------------------------- login throttling
def test_login_after_too_many_wrong_passwords_is_refused_even_with_the_right_one(settings):
    world = build_world()
    name = world.dispatcher.username
    client = Client()

    wrong = [_login(client, name, "wrong-guess").status_code for _ in range(5)]
    locked = _login(client, name, PASSWORD)

    assert wrong == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    assert "登录已暂停" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_lock_is_for_that_username_only(settings):
    world = build_world()
    client = Client()
    for _ in range(5):
        _login(client, world.dispatcher.username, "wrong-guess")

    other = _login(client, world.acceptor.username, PASSWORD)

    assert other.status_code == 302
    assert client.session["_auth_user_id"] == str(world.acceptor.pk)


def test_login_lock_ends_after_the_cool_off(settings):
    world = build_world()
    name = world.dispatcher.username
    client = Client()
    for _ in range(5):
        _login(client, name, "wrong-guess")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    response = _login(client, name, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world.dispatcher.pk)


def test_login_success_resets_the_failure_count(settings):
    world = build_world()
    name = world.dispatcher.username
    client = Client()
    for _ in range(4):
        _login(client, name, "wrong-guess")
    assert _login(client, name, PASSWORD).status_code == 302
    client.logout()

    again = [_login(client, name, "wrong-guess").status_code for _ in range(4)]

    assert again == [200, 200, 200, 200]
    assert _login(client, name, PASSWORD).status_code == 302


def test_login_lock_ignores_a_forged_forwarded_address(settings):
    world = build_world()
    name = world.dispatcher.username
    client = Client()

    codes = [
        client.post(
            "/accounts/login/",
            {"username": name, "password": "wrong-guess"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(6)
    ]

    assert codes[-1] == 429


def _basic(client: Client, name: str, password: str):
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return client.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Basic {token}")


def test_api_basic_auth_guessing_is_throttled_too(settings):
    world = build_world()
    client = Client()

    before = _basic(client, world.acceptor.username, PASSWORD).status_code
    guesses = [_basic(client, world.dispatcher.username, "wrong-guess") for _ in range(5)]
    right = _basic(client, world.dispatcher.username, PASSWORD)

    assert before == 200
    assert [g.status_code for g in guesses] == [403, 403, 403, 403, 429]
    assert right.status_code == 429  # the right password, refused while the lock lasts


def test_api_lockout_answers_429_with_retry_after_in_the_api_error_shape(settings):
    world = build_world()
    client = Client()
    for _ in range(5):
        _basic(client, world.dispatcher.username, "wrong-guess")

    locked = _basic(client, world.dispatcher.username, PASSWORD)

    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    # The whole cool-off (GRIDCITY_LOGIN_COOLOFF_MINUTES): each locked attempt restarts it.
    assert locked["Retry-After"] == str(round(settings.AXES_COOLOFF_TIME * 3600))
    body = locked.json()
    assert body == {
        "code": "login_locked",
        "message": "登录失败次数过多，该账号在本机暂时被锁定，请稍后再试。",
        "details": {},
    }


def test_api_lockout_leaves_the_login_page_its_lockout_page(settings):
    world = build_world()
    client = Client()
    for _ in range(5):
        _basic(client, world.dispatcher.username, "wrong-guess")

    page = _login(client, world.dispatcher.username, PASSWORD)

    assert page.status_code == 429
    assert page["Content-Type"].startswith("text/html")
    assert "登录已暂停" in page.content.decode()


def test_api_lockout_ends_after_the_cool_off(settings):
    world = build_world()
    client = Client()
    for _ in range(5):
        _basic(client, world.dispatcher.username, "wrong-guess")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))

    response = _basic(client, world.dispatcher.username, PASSWORD)

    assert response.status_code == 200


# ---------------------------------------------------------------- HTTPS
def test_https_deployment_sends_only_secure_http_only_cookies(settings):
    production = run_python(
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'session': s.SESSION_COOKIE_SECURE, 'csrf': s.CSRF_COOKIE_SECURE, "
        "'redirect': s.SECURE_SSL_REDIRECT, 'proxy': s.SECURE_PROXY_SSL_HEADER}))",
        DJANGO_SECRET_KEY="k" * 50,
        DJANGO_HTTPS="true",
        DJANGO_BEHIND_PROXY="true",
    )
    values = json.loads(production.stdout)
    settings.SESSION_COOKIE_SECURE = values["session"]
    settings.CSRF_COOKIE_SECURE = values["csrf"]
    settings.SECURE_SSL_REDIRECT = values["redirect"]
    settings.SECURE_PROXY_SSL_HEADER = tuple(values["proxy"])
    world = build_world()
    client = Client()

    plain = client.get("/accounts/login/")
    form = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    response = client.post(
        "/accounts/login/",
        {"username": world.dispatcher.username, "password": PASSWORD},
        HTTP_X_FORWARDED_PROTO="https",
    )

    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert form.cookies["csrftoken"]["secure"] is True
    session = response.cookies["sessionid"]
    assert (session["secure"], session["httponly"], session["samesite"]) == (True, True, "Lax")


# ---------------------------------------------------------------- roles
def test_removed_role_is_refused_on_the_next_request():
    world = build_world()
    case = case_in_state(world, Status.FILED)
    client = Client()
    client.force_login(world.dispatcher)
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200

    role_revoke(actor=world.administrator, user=world.dispatcher, role=Role.DISPATCHER)
    detail = client.get(f"/api/v1/cases/{case.pk}/")
    dispatch = client.post(
        f"/api/v1/cases/{case.pk}/dispatch/",
        {"lead": world.sanitation.pk},
        content_type="application/json",
    )

    assert detail.status_code == 404
    assert dispatch.status_code in (403, 404)
    case.refresh_from_db()
    assert case.status == Status.FILED


def test_removed_administrator_loses_the_admin_site_at_once():
    world = build_world()
    role_grant(actor=None, user=world.administrator, role=Role.ADMINISTRATOR)  # staff too
    client = Client()
    client.force_login(world.administrator)
    assert client.get("/admin/").status_code == 200

    role_revoke(actor=None, user=world.administrator, role=Role.ADMINISTRATOR)

    assert client.get("/admin/").status_code == 302


# ---------------------------------------------------------------- admin log
def test_admin_change_is_written_to_the_admin_log():
    world = build_world()
    role_grant(actor=None, user=world.administrator, role=Role.ADMINISTRATOR)  # staff too
    client = Client()
    client.force_login(world.administrator)
    department = world.sanitation
    page = client.get(f"/admin/departments/department/{department.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    data.update(name="市南区环卫所（更名）", kind=department.kind, is_active="on")

    response = client.post(f"/admin/departments/department/{department.pk}/change/", data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Department.objects.get(pk=department.pk).name == "市南区环卫所（更名）"
    entry = LogEntry.objects.get(object_id=str(department.pk), action_flag=CHANGE)
    assert entry.user_id == world.administrator.pk
    assert "name" in entry.get_change_message().lower() or "名称" in entry.get_change_message()

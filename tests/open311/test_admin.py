"""Administrators publish services, issue client keys (shown once, stored only as a digest)
and revoke them; the posted contact data is readable there and nowhere public."""

from __future__ import annotations

import re

import pytest
from django.test import Client as HttpClient

from open311.models import Client
from open311.services import key_digest
from tests.factories.departments import person_with_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_http(setup) -> HttpClient:
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-test-123")
    http = HttpClient()
    http.force_login(admin)
    return http


def test_admin_issues_a_key_once_and_stores_only_its_digest(setup, admin_http):
    response = admin_http.post(
        "/admin/open311/client/add/",
        {"name": "市民通", "contact": "it@example.org", "account": setup.world.acceptor.pk},
        follow=True,
    )

    assert response.status_code == 200
    key = re.search(r"：([A-Za-z0-9_-]{40,})", response.content.decode()).group(1)
    client = Client.objects.get(name="市民通")
    assert client.key_digest == key_digest(key)
    assert key not in str(Client.objects.filter(pk=client.pk).values().get())
    assert setup.post(api_key=key).status_code == 201


def test_admin_refuses_an_account_without_the_acceptor_role(setup, admin_http):
    handler = person_with_roles("handler")

    response = admin_http.post(
        "/admin/open311/client/add/", {"name": "错误账号", "account": handler.pk}
    )

    assert response.status_code == 200
    assert "受理员" in response.content.decode()
    assert not Client.objects.filter(name="错误账号").exists()


def test_admin_revoke_action_stops_the_key(setup, admin_http):
    assert setup.post().status_code == 201

    admin_http.post(
        "/admin/open311/client/",
        {"action": "revoke_selected", "_selected_action": [setup.client.pk]},
    )

    assert setup.post().status_code == 403


def test_service_admin_page_lists_published_services(setup, admin_http):
    response = admin_http.get("/admin/open311/service/")

    assert response.status_code == 200
    assert "M06010" in response.content.decode()

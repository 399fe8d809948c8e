"""With the database unreachable, pages and API answer 503 with Retry-After (not a server
error), and the next request after it returns is served normally."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from tests.conftest import free_port
from tests.factories.cases import build_world

MIDDLEWARE = "gridcity.middleware.DatabaseUnavailableMiddleware"


@contextmanager
def database_unreachable() -> Iterator[None]:
    """The next connection goes to a port where nothing listens (refused at once)."""
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(free_port())
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port


@pytest.fixture
def with_middleware(settings):
    if MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/", "/m/", "/dispatch/", "/admin/"])
def test_page_without_database_answers_503_and_recovers(client, with_middleware, path):
    world = build_world()
    client.force_login(world.administrator)

    with database_unreachable():
        down = client.get(path)
    up = client.get("/")

    assert down.status_code == 503
    assert down["Retry-After"] == "5"
    assert "数据库暂时不可用" in down.content.decode()
    assert up.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_api_without_database_answers_503_json_and_recovers(client):
    world = build_world()
    client.force_login(world.dispatcher)

    with database_unreachable():
        down = client.get("/api/v1/cases/")
    up = client.get("/api/v1/cases/")

    assert down.status_code == 503
    assert down.json()["code"] == "database_unavailable"
    assert down["Retry-After"] == "5"
    assert up.status_code == 200

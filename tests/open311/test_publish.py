"""Publishing categories as services in bulk: codes per kind, standard questions, idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from open311.models import Service
from tests.factories.cases import build_world
from tests.open311.conftest import assert_valid, json_body

pytestmark = pytest.mark.django_db


def test_open311_publish_publishes_each_category_once_with_its_questions(client):
    build_world()
    out = StringIO()

    call_command("open311_publish", stdout=out)
    call_command("open311_publish", stdout=out)

    assert sorted(Service.objects.values_list("code", flat=True)) == ["C01001", "M06010"]
    body = json_body(client.get("/open311/v2/services/C01001.json"))
    assert_valid("service-definition.json", body)
    assert [a["code"] for a in body["attributes"]] == ["urgency", "component_id"]
    assert [
        a["code"] for a in json_body(client.get("/open311/v2/services/M06010.json"))["attributes"]
    ] == ["urgency"]
    assert "已发布 2 项服务" in out.getvalue()
    assert "已发布 0 项服务" in out.getvalue()


def test_open311_publish_filters_by_kind_and_code():
    build_world()

    call_command("open311_publish", kind="matter", stdout=StringIO())

    assert list(Service.objects.values_list("code", flat=True)) == ["M06010"]

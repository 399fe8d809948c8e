"""Publishing categories as services in bulk: codes per kind, standard questions, idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from grids.models import Category
from open311.models import Service
from tests.factories.cases import build_world
from tests.open311.conftest import assert_valid, json_body

pytestmark = pytest.mark.django_db


def test_open311_publish_publishes_each_category_once_with_its_questions(client):
    build_world()
    out = StringIO()

    call_command("open311_publish", stdout=out)
    call_command("open311_publish", stdout=out)

    # Every active category once: the directory's own (when the migration loaded it) and the
    # world's; a second run publishes nothing new.
    published = Category.objects.active().count()
    assert Service.objects.count() == published
    assert {"C01001", "M06010"} <= set(Service.objects.values_list("code", flat=True))
    body = json_body(client.get("/open311/v2/services/C01001.json"))
    assert_valid("service-definition.json", body)
    assert [a["code"] for a in body["attributes"]] == ["urgency", "component_id"]
    assert [
        a["code"] for a in json_body(client.get("/open311/v2/services/M06010.json"))["attributes"]
    ] == ["urgency"]
    assert f"已发布 {published} 项服务" in out.getvalue()
    assert "已发布 0 项服务" in out.getvalue()


def test_open311_publish_filters_by_kind_and_code():
    build_world()

    call_command("open311_publish", kind="matter", stdout=StringIO())
    matters = set(Service.objects.values_list("code", flat=True))
    call_command("open311_publish", kind="component", codes="01001", stdout=StringIO())

    assert "M06010" in matters
    assert all(code.startswith("M") for code in matters)
    assert set(Service.objects.values_list("code", flat=True)) - matters == {"C01001"}

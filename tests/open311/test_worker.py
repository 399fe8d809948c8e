"""With the real Celery worker: a request posted over HTTP gets its department suggestion and
tasks the grid's inspector with the on-site verification; nothing skips that verification."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient

from cases.models import Case, CaseEvent
from cases.workflow import Status
from departments.models import Notice
from open311.services import client_create
from tests.conftest import wait_for
from tests.factories.cases import build_world
from tests.open311.conftest import json_body, publish

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.mark.timeout(180)
def test_posted_request_is_routed_and_tasks_the_grids_inspector(celery_worker):
    world = build_world()
    publish(world)
    _client, key = client_create(name="随手拍", account=world.acceptor)
    point = world.point()

    response = HttpClient().post(
        "/open311/v2/requests.json",
        {
            "api_key": key,
            "service_code": "M06010",
            "lat": str(point.y),
            "long": str(point.x),
            "description": "路口有暴露垃圾",
        },
    )

    assert response.status_code == 201
    case = Case.objects.get(number=json_body(response)[0]["service_request_id"])
    wait_for(
        lambda: Notice.objects.filter(recipient=world.inspector, kind="case.report").exists(),
        timeout=60,
        what="the verification notice to the grid's inspector",
    )
    wait_for(
        lambda: CaseEvent.objects.filter(case=case, action="route_suggested").exists(),
        timeout=60,
        what="the department suggestion",
    )
    case.refresh_from_db()
    assert case.status == Status.AWAITING_VERIFICATION
    assert case.suggested_department == world.street_office
    assert not Notice.objects.filter(recipient=world.other_inspector).exists()

"""The whole closed loop through the HTTP API, with the real Celery worker on Redis doing the
suggestion, thumbnails and notices: report → suggested → accepted → filed → dispatched →
extension approved → handled with photo → re-inspection fails → rework → handled → re-inspection
passes → closed, checking the event log and counters at each step."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cases.models import CasePhoto
from departments.models import Notice
from tests.cases.conftest import worker_drained
from tests.conftest import wait_for
from tests.factories.cases import build_world, jpeg_bytes

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def photo(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(colour=(10, 200, 90)), content_type="image/jpeg")


@pytest.mark.timeout(180)
def test_whole_loop_through_the_api_with_the_worker(celery_worker):
    world = build_world()
    clients: dict[str, Client] = {}

    def as_(role: str) -> Client:
        if role not in clients:
            clients[role] = Client()
            clients[role].force_login(world.people[role])
        return clients[role]

    def post(
        role: str, path: str, data: dict[str, Any] | None = None, multipart: bool = False
    ) -> dict:
        client = as_(role)
        if multipart:
            response = client.post(path, data or {})
        else:
            response = client.post(path, data or {}, content_type="application/json")
        assert response.status_code in (200, 201), response.json()
        return response.json()

    def people_actions(body: dict) -> list[str]:
        return [e["action"] for e in body["events"] if e["actor_role"] != "system"]

    def counters(body: dict) -> tuple[int, int, int]:
        return body["rework_count"], body["extension_count"], body["sendback_count"]

    # Report, with a photo carrying the inspector's GPS position.
    created = post(
        "inspector",
        "/api/v1/cases/",
        {
            "source": "inspector",
            "category": world.matter.pk,
            "description": "人行道暴露垃圾",
            "lon": world.point().x,
            "lat": world.point().y,
            "photos": [photo("before.jpg")],
        },
        multipart=True,
    )
    url = f"/api/v1/cases/{created['id']}/"
    assert created["status"] == "reported"

    # The worker suggests the department (territorial fallback) and makes the thumbnail.
    def detail() -> dict:
        return as_("dispatcher").get(url).json()

    wait_for(lambda: detail()["suggested_department"] is not None, timeout=60, what="suggestion")
    body = detail()
    assert body["suggested_department"]["id"] == world.street_office.pk
    assert body["suggestion_reason"]
    assert [e["action"] for e in body["events"]] == ["report", "route_suggested"]
    wait_for(
        lambda: all(p.thumbnail for p in CasePhoto.objects.filter(case_id=created["id"])),
        timeout=60,
        what="thumbnail",
    )

    body = post("acceptor", url + "accept/", {"note": "属实"})
    assert (body["status"], people_actions(body)) == ("accepted", ["report", "accept"])
    body = post("shift_leader", url + "file/")
    assert body["status"] == "filed"
    body = post("dispatcher", url + "dispatch/", {"lead": body["suggested_department"]["id"]})
    assert (body["status"], body["lead_department"]["id"]) == ("handling", world.street_office.pk)
    assert body["step"] == "handle" and body["handling_deadline"]
    wait_for(
        lambda: Notice.objects.filter(
            recipient=world.street_handler, kind="case.dispatch"
        ).exists(),
        timeout=60,
        what="the dispatch notice to the department",
    )

    body = post(
        "street_handler",
        url + "request-extension/",
        {"until": "2099-06-30T17:00:00+08:00", "reason": "需协调环卫车辆"},
    )
    assert body["pending"] == "extension"
    body = post("dispatcher", url + "approve-extension/", {"note": "同意"})
    assert (body["pending"], counters(body)) == ("", (0, 1, 0))
    assert body["handling_deadline"].startswith("2099-06-30")
    assert body["business_type"] == "committed"

    body = post(
        "street_handler", url + "report-handled/", {"photos": [photo("after.jpg")]}, multipart=True
    )
    assert body["status"] == "handled"
    assert [p["stage"] for p in body["photos"]] == ["report", "handling_after"]
    post("acceptor", url + "send-for-reinspection/")
    body = post("inspector", url + "reinspect-fail/", {"note": "仍有垃圾"})
    assert (body["status"], counters(body)) == ("handling", (1, 1, 0))
    assert body["lead_department"]["id"] == world.street_office.pk

    body = post(
        "street_handler", url + "report-handled/", {"photos": [photo("after2.jpg")]}, multipart=True
    )
    post("acceptor", url + "send-for-reinspection/")
    body = post("inspector", url + "reinspect-pass/")
    assert body["status"] == "awaiting_closing"
    body = post("shift_leader", url + "close/")

    assert body["status"] == "closed"
    assert body["outcome"] == "on_time"
    assert counters(body) == (1, 1, 0)
    assert people_actions(body) == [
        "report",
        "accept",
        "file",
        "dispatch",
        "request_extension",
        "approve_extension",
        "report_handled",
        "send_for_reinspection",
        "reinspect_fail",
        "report_handled",
        "send_for_reinspection",
        "reinspect_pass",
        "close",
    ]
    assert [e["sequence"] for e in body["events"]] == list(range(1, len(body["events"]) + 1))
    assert body["allowed_actions"] == []
    # Let the worker finish this test's notices before the tables are truncated.
    wait_for(worker_drained, timeout=60, what="the worker to finish this test's tasks")

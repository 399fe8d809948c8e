"""The whole round trip over HTTP: a client posts a request with two photos; staff verify on
site, accept, file, dispatch, handle, re-inspect and close it through the real services; the
client follows it with GET requests/{id} and the status history."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import AutomationRule, Case
from cases.services import case_after_report
from cases.workflow import Source, Status
from tests.factories.cases import act, jpeg_bytes
from tests.open311.conftest import assert_valid, json_body, xml_root

pytestmark = pytest.mark.django_db

STAFF_STEPS = [
    ("verify_pass", "reported"),
    ("accept", "accepted"),
    ("file", "filed"),
    ("dispatch", "handling"),
    ("report_handled", "handled"),
    ("send_for_reinspection", "awaiting_reinspection"),
    ("reinspect_pass", "awaiting_closing"),
    ("close", "closed"),
]


def test_client_follows_its_request_from_posting_to_closing(setup):
    world, http = setup.world, setup.http
    photos = [
        SimpleUploadedFile("front.jpg", jpeg_bytes(colour=(200, 10, 10)), "image/jpeg"),
        SimpleUploadedFile("side.png", _png(), "image/png"),
    ]
    posted = setup.post(media=photos, first_name="小明", last_name="王", phone="13800000000")
    assert posted.status_code == 201
    number = json_body(posted)[0]["service_request_id"]
    case = Case.objects.get(number=number)
    assert case.photos.count() == 2

    def follow() -> dict:
        response = http.get(f"/open311/v2/requests/{number}.json")
        assert response.status_code == 200
        body = json_body(response)
        assert_valid("requests.json", body)
        return body[0]

    seen = follow()
    assert (seen["status"], seen["status_notes"]) == ("open", "待核实")
    assert seen["media_url"].endswith(".jpg")

    for action, status in STAFF_STEPS:
        act(world, action, case.pk)
        seen = follow()
        assert seen["status"] == ("closed" if status == "closed" else "open"), action
        assert seen["status_notes"] == str(Status(status).label)
        if action == "dispatch":
            assert seen["agency_responsible"] == world.sanitation.name
            assert seen["expected_datetime"].endswith("+08:00")

    assert seen["status"] == "closed"
    assert seen["status_notes"] == "已结案"
    history = json_body(
        http.get(f"/open311/v2/servicerequestupdates.json?service_request_id={number}")
    )
    assert [u["extended_status"] for u in history] == ["awaiting_verification"] + [
        status for _, status in STAFF_STEPS
    ]
    assert [u["status"] for u in history] == ["open"] * 8 + ["closed"]
    ids = [u["update_id"] for u in history]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith(f"{number}-") for i in ids)
    handled = next(u for u in history if u["extended_status"] == "handled")
    assert handled["media_url"].startswith("http://testserver/open311/v2/media/")
    assert http.get(handled["media_url"]).status_code == 200  # the "after" photo, public
    assert all(u["updated_datetime"].endswith("+08:00") for u in history)
    root = xml_root(http.get(f"/open311/v2/servicerequestupdates.xml?service_request_id={number}"))
    assert root.tag == "service_request_updates"
    assert [u.findtext("extended_status") for u in root.findall("request_update")] == [
        u["extended_status"] for u in history
    ]
    closed_list = json_body(http.get("/open311/v2/requests.json?status=closed"))
    assert [item["service_request_id"] for item in closed_list] == [number]


def test_automation_never_skips_the_on_site_verification_of_open311_reports(setup):
    AutomationRule.objects.create(
        source=Source.OPEN311, auto_accept=True, auto_file=True, auto_dispatch=True
    )
    number = json_body(setup.post())[0]["service_request_id"]

    case = case_after_report(case_id=Case.objects.get(number=number).pk)

    assert case.status == Status.AWAITING_VERIFICATION
    assert case.suggested_department is not None


def _png() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (40, 30), (0, 120, 240)).save(out, format="PNG")
    return out.getvalue()

"""POST requests, GET tokens/{token}, GET requests and GET requests/{id}: the case they create,
what the public may read of it, the filters, and both formats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient
from django.utils import timezone

from cases import tasks
from cases.models import Case, CasePhoto
from cases.services import case_event_notify
from cases.workflow import Source, Status
from departments.models import Notice
from gridcity.models import OutboxTask
from open311.media import SALT as MEDIA_SALT
from open311.models import Request
from tests.factories.cases import act, jpeg_bytes, report_case
from tests.factories.grids import ComponentFactory
from tests.open311.conftest import assert_valid, json_body, xml_root

pytestmark = pytest.mark.django_db

CONTACT = {
    "first_name": "小明",
    "last_name": "王",
    "email": "wang@example.org",
    "phone": "13800000000",
    "device_id": "device-42",
    "account_id": "app-user-7",
}


def test_post_request_creates_an_open311_case_awaiting_the_grid_inspectors_verification(setup):
    response = setup.post(
        **CONTACT, **{"attribute[urgency]": "urgent", "attribute[pile_size]": "3"}
    )

    assert response.status_code == 201
    [answer] = json_body(response)
    case = Case.objects.get(number=answer["service_request_id"])
    assert case.source == Source.OPEN311
    assert case.status == Status.AWAITING_VERIFICATION
    assert case.step == "verify"
    assert case.urgency == "urgent"
    assert case.grid == setup.world.grids[0]
    assert case.reporter == setup.world.acceptor
    assert case.reporter_name == "王小明"
    assert case.reporter_phone == "13800000000"
    row = Request.objects.get(case=case)
    assert answer["token"] == row.token
    assert (row.email, row.device_id, row.account_id) == (
        "wang@example.org",
        "device-42",
        "app-user-7",
    )
    assert row.attributes == {"urgency": "urgent", "pile_size": "3"}
    assert answer["account_id"] == "app-user-7"


def test_post_request_queues_the_verification_notice_for_the_grids_inspector(setup):
    response = setup.post()

    assert response.status_code == 201
    # The notice is queued with the write (the outbox); the worker would run it after commit.
    [queued] = OutboxTask.objects.filter(task=tasks.notify_case_event.name)
    case_event_notify(event_id=queued.kwargs["event_id"])
    notice = Notice.objects.get()
    assert notice.recipient == setup.world.inspector
    assert json_body(response)[0]["service_request_id"] in notice.title


def test_post_request_xml_answer_carries_id_and_token(setup):
    response = setup.post("xml")

    assert response.status_code == 201
    root = xml_root(response)
    assert root.tag == "service_requests"
    number = root.findtext("request/service_request_id")
    assert Request.objects.get(case__number=number).token == root.findtext("request/token")


def test_post_request_with_two_photos_stores_both_through_the_photo_pipeline(setup):
    photos = [
        SimpleUploadedFile("a.jpg", jpeg_bytes(gps=(120.381, 36.061)), "image/jpeg"),
        SimpleUploadedFile("b.jpg", jpeg_bytes(colour=(1, 2, 3)), "image/jpeg"),
    ]

    response = setup.post(media=photos)

    assert response.status_code == 201
    case = Case.objects.get(number=json_body(response)[0]["service_request_id"])
    stored = list(case.photos.order_by("pk"))
    assert [p.stage for p in stored] == [CasePhoto.Stage.REPORT] * 2
    assert stored[0].gps_location is not None
    assert b"TestCam" not in stored[0].image.read()


def test_post_request_by_address_id_places_the_case_inside_that_grid(setup):
    grid = setup.world.grids[1]

    response = setup.post(lat=None, long=None, address_id=grid.code)

    assert response.status_code == 201
    case = Case.objects.get(number=json_body(response)[0]["service_request_id"])
    assert case.grid == grid
    assert grid.boundary.covers(case.location)


def test_post_component_request_links_the_component(setup):
    component = ComponentFactory(
        category=setup.world.component_category, geometry=setup.world.point(dx=0.2, dy=0.2)
    )

    response = setup.post(
        service_code="C01001", **{"attribute[component_id]": component.identifier}
    )

    assert response.status_code == 201
    case = Case.objects.get(number=json_body(response)[0]["service_request_id"])
    assert case.component == component


def test_token_maps_to_the_service_request_id_in_both_formats(setup):
    [answer] = json_body(setup.post())

    body = json_body(setup.http.get(f"/open311/v2/tokens/{answer['token']}.json"))
    root = xml_root(setup.http.get(f"/open311/v2/tokens/{answer['token']}.xml"))

    assert body == [{"service_request_id": answer["service_request_id"], "token": answer["token"]}]
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == answer["service_request_id"]
    assert setup.http.get("/open311/v2/tokens/nosuchtoken.json").status_code == 404


def test_get_request_shows_the_public_fields_valid_and_the_same_in_xml(setup):
    photo = SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg")
    [answer] = json_body(setup.post(media=[photo], address_string="太平角一路 1 号", **CONTACT))
    number = answer["service_request_id"]

    body = json_body(setup.http.get(f"/open311/v2/requests/{number}.json"))
    root = xml_root(setup.http.get(f"/open311/v2/requests/{number}.xml"))

    assert_valid("requests.json", body)
    [item] = body
    case = Case.objects.get(number=number)
    assert item["service_request_id"] == number
    assert item["status"] == "open"
    assert item["status_notes"] == "待核实"
    assert item["service_code"] == "M06010"
    assert item["service_name"] == "暴露垃圾"
    assert item["address"] == "太平角一路 1 号"
    assert item["address_id"] == setup.world.grids[0].code
    assert item["lat"] == pytest.approx(setup.world.point().y)
    assert item["long"] == pytest.approx(setup.world.point().x)
    assert item["requested_datetime"] == timezone.localtime(case.reported_at).isoformat(
        timespec="seconds"
    )
    assert item["requested_datetime"].endswith("+08:00")
    assert item["media_url"].startswith("http://testserver/open311/v2/media/")
    assert item["agency_responsible"] is None
    assert item["expected_datetime"] is None
    for secret in ("王", "小明", "13800000000", "wang@example.org", "device-42", "app-user-7"):
        assert secret not in response_text(setup, number)
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    for field, value in item.items():
        expected = "" if value is None else str(value)
        assert (request.findtext(field) or "") == expected, field


def response_text(setup, number: str) -> str:
    return "".join(
        setup.http.get(f"/open311/v2/requests/{number}.{fmt}").content.decode()
        + setup.http.get(f"/open311/v2/requests.{fmt}").content.decode()
        + setup.http.get(
            f"/open311/v2/servicerequestupdates.{fmt}?service_request_id={number}"
        ).content.decode()
        for fmt in ("json", "xml")
    )


def test_get_requests_filters_by_ids_service_status_and_window(setup):
    world = setup.world
    first = json_body(setup.post())[0]["service_request_id"]
    rejected = json_body(setup.post())[0]["service_request_id"]
    case = Case.objects.get(number=rejected)
    act(world, "verify_fail", case.pk, note="现场未发现垃圾")
    inspector_case = report_case(world)
    hotline_case = report_case(world, source=Source.HOTLINE_12345)

    def numbers(query: str = "") -> list[str]:
        response = setup.http.get(f"/open311/v2/requests.json{query}")
        assert response.status_code == 200, response.content
        body = json_body(response)
        assert_valid("requests.json", body)
        return [item["service_request_id"] for item in body]

    assert set(numbers()) == {first, rejected, inspector_case.number}
    assert hotline_case.number not in numbers()
    assert numbers(f"?service_request_id={first},{rejected}") == [rejected, first]
    assert numbers("?status=closed") == [rejected]
    assert set(numbers("?status=open")) == {first, inspector_case.number}
    assert numbers("?service_code=C01001") == []
    assert numbers("?start_date=2020-01-01T00:00:00Z&end_date=2020-02-01T00:00:00Z") == []
    assert len(numbers("?page_size=2")) == 2
    assert len(numbers("?page_size=2&page=2")) == 1
    closed = json_body(setup.http.get(f"/open311/v2/requests/{rejected}.json"))[0]
    assert closed["status_notes"] == "不予受理：现场未发现垃圾"


def test_get_requests_hides_cases_of_unpublished_services_and_other_jurisdictions(setup):
    number = json_body(setup.post())[0]["service_request_id"]

    inside = json_body(setup.http.get("/open311/v2/requests.json?jurisdiction_id=370202"))
    elsewhere = setup.http.get(f"/open311/v2/requests/{number}.json?jurisdiction_id=370203")
    setup.matter.is_published = False
    setup.matter.save()
    hidden = setup.http.get(f"/open311/v2/requests/{number}.json")

    assert [item["service_request_id"] for item in inside] == [number]
    assert elsewhere.status_code == 404  # unknown district
    assert hidden.status_code == 404


def test_default_window_is_the_last_90_days(setup):
    number = json_body(setup.post())[0]["service_request_id"]
    Case.objects.filter(number=number).update(reported_at=timezone.now() - timedelta(days=91))

    body = json_body(setup.http.get("/open311/v2/requests.json"))

    assert body == []


def test_plain_text_with_angle_brackets_is_kept_and_escaped_in_xml(setup):
    text = "垃圾桶 < 3 米 & 味道很大"
    number = json_body(setup.post(description=text))[0]["service_request_id"]

    response = setup.http.get(f"/open311/v2/requests/{number}.xml")

    assert b"&lt; 3" in response.content
    assert xml_root(response).findtext("request/description") == text


def test_get_requests_query_count_does_not_grow_with_the_page(setup, django_assert_num_queries):
    for _ in range(2):
        setup.post(media=[SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg")])
    with django_assert_num_queries(3):  # cases, their report photos, their status events
        setup.http.get("/open311/v2/requests.json")
    for _ in range(4):
        setup.post(media=[SimpleUploadedFile("a.jpg", jpeg_bytes(), "image/jpeg")])

    with django_assert_num_queries(3):
        body = json_body(setup.http.get("/open311/v2/requests.json"))

    assert len(body) == 6


def test_post_request_needs_no_csrf_token_since_clients_use_keys_not_cookies(setup):
    setup.http = HttpClient(enforce_csrf_checks=True)

    response = setup.post()

    assert response.status_code == 201


# ---------------------------------------------------------------- photos
def _posted_photo_url(setup) -> tuple[str, Case]:
    photo = SimpleUploadedFile("a.jpg", jpeg_bytes(gps=(120.381, 36.061)), "image/jpeg")
    [answer] = json_body(setup.post(media=[photo]))
    [item] = json_body(setup.http.get(f"/open311/v2/requests/{answer['service_request_id']}.json"))
    return item["media_url"], Case.objects.get(number=answer["service_request_id"])


def test_media_url_serves_the_requests_photo_to_anyone_without_its_metadata(setup):
    url, case = _posted_photo_url(setup)

    response = HttpClient().get(url)

    stored = case.photos.get()
    assert url.endswith(".jpg") and "/media/cases/" not in url
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    body = b"".join(response.streaming_content)
    with stored.image.open("rb") as file:
        assert body == file.read()
    assert b"TestCam" not in body


def test_media_url_with_a_forged_or_guessed_signature_is_not_found(setup):
    url, case = _posted_photo_url(setup)
    photo_id = case.photos.get().pk
    token = url.rsplit("/", 1)[1].removesuffix(".jpg")
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    other = f"{photo_id + 1}:{token.split(':', 1)[1]}"

    answers = [
        setup.http.get(f"/open311/v2/media/{forged}.jpg"),
        setup.http.get(f"/open311/v2/media/{other}.jpg"),
    ]

    assert [a.status_code for a in answers] == [404, 404]
    assert all(json_body(a)[0]["code"] == 404 for a in answers)


def test_media_url_of_a_request_no_longer_published_is_not_found(setup):
    url, _case = _posted_photo_url(setup)
    assert setup.http.get(url).status_code == 200

    setup.matter.is_published = False
    setup.matter.save(update_fields=["is_published"])

    assert setup.http.get(url).status_code == 404


def test_media_url_is_never_given_for_a_case_the_public_does_not_see(setup):
    """A hotline report (not a published source) has photos, but no signed link leads to them:
    a token signed for its photo still answers 404."""
    desk = report_case(setup.world, source=Source.HOTLINE_12345)
    photo = desk.photos.get()
    token = signing.Signer(salt=MEDIA_SALT).sign(str(photo.pk))

    response = setup.http.get(f"/open311/v2/media/{token}.jpg")

    assert response.status_code == 404

"""The case API: scoped lists with filters, detail with history, reporting (JSON and multipart),
the action endpoints with their errors, idempotency keys and the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Case
from cases.workflow import Source, Status
from gridcity.geo import make_point
from tests.factories.cases import act, case_in_state, jpeg_bytes, report_case
from tests.factories.grids import ComponentFactory

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def test_report_by_multipart_with_photos_creates_a_case(client, world):
    login(client, world.inspector)

    response = client.post(
        "/api/v1/cases/",
        {
            "source": "inspector",
            "category": world.matter.pk,
            "description": "垃圾桶满溢",
            "lon": world.point().x,
            "lat": world.point().y,
            "photos": [SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg")],
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "reported"
    assert body["grid_code"] == world.grids[0].code
    assert [e["action"] for e in body["events"]] == ["report"]
    assert body["photos"][0]["stage"] == "report"


def test_the_answer_to_a_report_is_the_case_as_a_read_straight_after_gives_it(client, world):
    # The report is answered from the rows it wrote (cases.selectors.case_as_written), not by
    # reading them back: every field must still be what the detail endpoint then says.
    here = world.point()
    component = ComponentFactory(
        category=world.component_category,
        geometry=make_point(lon=here.x + 0.0001, lat=here.y),
    )
    photo = jpeg_bytes(gps=(here.x + 0.0002, here.y))  # a distance from the case, too
    reports = [
        (
            world.inspector,
            {
                "source": "inspector",
                "category": world.component_category.pk,
                "component": component.identifier,
                "description": "井盖破损",
                "address": "太平角一路 3 号",
                "urgency": "urgent",
                "lon": here.x,
                "lat": here.y,
                "photos": [SimpleUploadedFile("a.jpg", photo, content_type="image/jpeg")],
            },
        ),
        (
            world.acceptor,
            {
                "source": "public",
                "category": world.matter.pk,
                "description": "路灯不亮",
                "reporter_name": "王先生",
                "reporter_phone": "13800000000",
                "lon": world.point(grid=1).x,
                "lat": world.point(grid=1).y,
            },
        ),
    ]
    answers = []
    for user, fields in reports:
        login(client, user)
        response = client.post("/api/v1/cases/", fields)
        assert response.status_code == 201, response.json()
        answered = response.json()

        read = client.get(f"/api/v1/cases/{answered['id']}/").json()

        assert answered == read
        answers.append(answered)
    inspector, acceptor = answers
    assert inspector["component_id"] == component.pk
    assert inspector["allowed_actions"]
    assert inspector["photos"][0]["distance_m"] is not None
    assert acceptor["reporter_contact"] == {"name": "王先生", "phone": "13800000000"}
    assert [e["action"] for e in acceptor["events"]] == ["report"]


def test_report_outside_the_city_is_a_clear_400(client, world):
    login(client, world.acceptor)

    response = client.post(
        "/api/v1/cases/",
        {
            "source": "hotline_12345",
            "category": world.matter.pk,
            "description": "x",
            "lon": 0,
            "lat": 0,
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "outside_city"
    assert Case.objects.count() == 0


def test_list_is_scoped_to_the_users_department_and_grids(client, world):
    mine = case_in_state(world, Status.HANDLING)
    other_grid = report_case(
        world, location=world.point(grid=1), actor=world.acceptor, source=Source.VIDEO
    )

    handler_ids = {
        c["id"] for c in login(client, world.handler).get("/api/v1/cases/").json()["results"]
    }
    inspector_ids = {
        c["id"] for c in login(client, world.inspector).get("/api/v1/cases/").json()["results"]
    }
    street_ids = {
        c["id"] for c in login(client, world.street_handler).get("/api/v1/cases/").json()["results"]
    }
    all_ids = {
        c["id"] for c in login(client, world.dispatcher).get("/api/v1/cases/").json()["results"]
    }

    assert handler_ids == {mine.pk}
    assert inspector_ids == {mine.pk}
    assert street_ids == set()
    assert all_ids == {mine.pk, other_grid.pk}
    assert login(client, world.street_handler).get(f"/api/v1/cases/{mine.pk}/").status_code == 404


def test_list_filters_by_status_source_area_department_and_colour(client, world):
    handling = case_in_state(world, Status.HANDLING)
    hotline = report_case(
        world, source=Source.HOTLINE_12345, photos=[], location=world.point(grid=1)
    )
    login(client, world.dispatcher)

    def ids(query: str) -> set[int]:
        return {c["id"] for c in client.get(f"/api/v1/cases/?{query}").json()["results"]}

    assert ids("status=handling") == {handling.pk}
    assert ids("status=handling&status=awaiting_verification") == {handling.pk, hotline.pk}
    assert ids("source=hotline_12345") == {hotline.pk}
    assert ids(f"area={world.grids[1].code}") == {hotline.pk}
    assert ids("area=370202001") == {handling.pk, hotline.pk}
    assert ids(f"department={world.sanitation.pk}") == {handling.pk}
    assert ids("step=verify") == {hotline.pk}
    assert ids("timer_colour=green&timer_colour=yellow&timer_colour=red") == {
        handling.pk,
        hotline.pk,
    }
    assert ids("reported_after=2000-01-01&reported_before=2000-01-02") == set()


def test_reporter_contact_is_shown_to_the_command_centre_only(client, world):
    case = report_case(
        world, source=Source.PUBLIC, photos=[], reporter_name="王先生", reporter_phone="13800000000"
    )

    acceptor_view = login(client, world.acceptor).get(f"/api/v1/cases/{case.pk}/").json()
    inspector_view = login(client, world.inspector).get(f"/api/v1/cases/{case.pk}/").json()

    assert acceptor_view["reporter_contact"] == {"name": "王先生", "phone": "13800000000"}
    assert inspector_view["reporter_contact"] is None
    assert "13800000000" not in str(inspector_view)
    assert inspector_view["allowed_actions"] == ["verify_pass", "verify_fail"]


def test_action_from_a_wrong_status_is_409_with_allowed_actions(client, world):
    case = report_case(world)
    login(client, world.shift_leader)

    response = client.post(f"/api/v1/cases/{case.pk}/close/", {}, content_type="application/json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["details"]["allowed_actions"] == [
        "send_for_verification",
        "accept",
        "reject",
        "self_handle",
        "urge",
    ]


def test_action_by_a_wrong_role_is_403(client, world):
    case = report_case(world)
    login(client, world.dispatcher)

    response = client.post(f"/api/v1/cases/{case.pk}/accept/", {}, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["code"] == "role_required"


def test_dispatch_and_extension_endpoints(client, world):
    case = case_in_state(world, Status.FILED)

    dispatched = login(client, world.dispatcher).post(
        f"/api/v1/cases/{case.pk}/dispatch/",
        {"lead": world.sanitation.pk, "assisting": [world.street_office.pk], "note": "请处理"},
        content_type="application/json",
    )
    deadline = dispatched.json()["handling_deadline"]
    asked = login(client, world.handler).post(
        f"/api/v1/cases/{case.pk}/request-extension/",
        {"until": "2099-01-01T12:00:00+08:00", "reason": "需采购配件"},
        content_type="application/json",
    )
    approved = login(client, world.dispatcher).post(
        f"/api/v1/cases/{case.pk}/approve-extension/", {}, content_type="application/json"
    )

    assert dispatched.status_code == 200, dispatched.json()
    assert dispatched.json()["business_type"] == "coordinated"
    assert asked.json()["pending"] == "extension"
    assert approved.status_code == 200
    assert approved.json()["handling_deadline"] != deadline
    assert approved.json()["extension_count"] == 1


def test_invalid_input_names_the_field(client, world):
    case = case_in_state(world, Status.FILED)
    login(client, world.dispatcher)

    response = client.post(
        f"/api/v1/cases/{case.pk}/dispatch/", {}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "lead" in response.json()["details"]


def test_same_idempotency_key_replays_the_first_answer(client, world):
    login(client, world.acceptor)
    body = {
        "source": "video",
        "category": world.matter.pk,
        "description": "占道经营",
        "lon": world.point().x,
        "lat": world.point().y,
    }

    first = client.post(
        "/api/v1/cases/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    second = client.post(
        "/api/v1/cases/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    other = client.post(
        "/api/v1/cases/",
        {**body, "description": "别的"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json()["number"] == first.json()["number"]
    assert second["Idempotent-Replayed"] == "true"
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_retried_action_with_same_key_makes_one_transition(client, world):
    case = report_case(world)
    login(client, world.acceptor)

    answers = [
        client.post(
            f"/api/v1/cases/{case.pk}/accept/",
            {"note": "ok"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="accept-1",
        )
        for _ in range(2)
    ]

    assert [a.status_code for a in answers] == [200, 200]
    assert case.events.filter(action="accept").count() == 1


def test_failed_request_does_not_burn_its_key(client, world):
    case = report_case(world)
    login(client, world.acceptor)
    act(world, "accept", case.pk)

    refused = client.post(
        f"/api/v1/cases/{case.pk}/reject/",
        {},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="r-1",
    )
    fixed = client.post(
        f"/api/v1/cases/{case.pk}/reject/",
        {"reason": "不属于城管范围"},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="r-2",
    )

    assert refused.status_code == 400
    assert fixed.status_code == 200
    assert fixed.json()["status"] == "not_accepted"


def test_schema_lists_every_case_endpoint(client, world):
    login(client, world.administrator)

    schema = client.get("/api/v1/schema/?format=json").json()

    paths = schema["paths"]
    assert "/api/v1/cases/" in paths and "post" in paths["/api/v1/cases/"]
    for name in ("accept", "dispatch", "request-extension", "reinspect-fail", "close", "urge"):
        operation = paths[f"/api/v1/cases/{{id}}/{name}/"]["post"]
        assert any(p["name"] == "Idempotency-Key" for p in operation["parameters"])
        assert "multipart/form-data" in operation["requestBody"]["content"]

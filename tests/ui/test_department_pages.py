"""The department's page through HTTP: only its own cases, grouped by traffic light; only its
own actions; report handled with "after" photos through the photo pipeline; the dispatcher's
answer to a request; query counts that do not grow with the cases."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases.models import Case, CasePhoto
from cases.workflow import Status
from tests.factories.cases import World, act, build_world, case_in_state, jpeg_bytes
from tests.ui.helpers import client_for, drawer_actions


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def action_url(case: Case, action: str) -> str:
    return reverse("department:action", args=[case.pk, action])


@pytest.mark.parametrize(
    "role", ["acceptor", "shift_leader", "dispatcher", "inspector", "supervisor"]
)
def test_page_refuses_people_who_are_not_in_a_department(world: World, role: str) -> None:
    case = case_in_state(world, Status.HANDLING)
    client = client_for(world.people[role])

    pages = [
        client.get(reverse("department:home")),
        client.get(reverse("department:queue")),
        client.get(reverse("department:changes")),
        client.get(reverse("department:drawer", args=[case.pk])),
        client.post(action_url(case, "request_sendback"), {"reason": "x", "expected_version": 1}),
    ]

    assert [page.status_code for page in pages] == [403] * len(pages)
    assert Case.objects.get(pk=case.pk).pending == ""


@pytest.mark.parametrize("role", ["handler", "department_lead"])
def test_page_lists_the_departments_cases_by_traffic_light(world: World, role: str) -> None:
    handling = case_in_state(world, Status.HANDLING)
    handled = case_in_state(world, Status.HANDLED)
    elsewhere = case_in_state(world, Status.FILED)
    client = client_for(world.people[role])

    page = client.get(reverse("department:home")).content.decode()
    green = client.get(reverse("department:home"), {"tab": "green"}).content.decode()
    red = client.get(reverse("department:home"), {"tab": "red"}).content.decode()
    done = client.get(reverse("department:home"), {"tab": "handled"}).content.decode()

    assert handling.number in page and handling.number in green and handling.number not in red
    assert re.search(r"绿灯 <span class=\"count\">1<", page)
    assert handled.number in done and handled.number not in page
    assert elsewhere.number not in page + done


def test_other_departments_case_is_neither_shown_nor_actionable(world: World) -> None:
    case = case_in_state(world, Status.HANDLING)  # led by sanitation
    client = client_for(world.street_handler)

    page = client.get(reverse("department:home")).content.decode()
    drawer = client.get(reverse("department:drawer", args=[case.pk]))
    post = client.post(
        action_url(case, "report_handled"),
        {"expected_version": case.version, "photos": SimpleUploadedFile("a.jpg", jpeg_bytes())},
    )

    assert case.number not in page
    assert drawer.status_code == 404 and post.status_code == 404
    case.refresh_from_db()
    assert (case.status, case.version) == (Status.HANDLING, 4)


def test_drawer_offers_the_department_its_own_requests_only(world: World) -> None:
    case = case_in_state(world, Status.HANDLING)
    client = client_for(world.handler)

    html = client.get(reverse("department:drawer", args=[case.pk])).content.decode()
    approve = client.post(action_url(case, "approve_extension"), {"expected_version": 4})

    assert drawer_actions(html) == {
        "request_sendback",
        "request_extension",
        "request_suspension",
        "report_handled",
    }
    assert approve.status_code == 403
    assert Case.objects.get(pk=case.pk).version == case.version


def test_report_handled_stores_the_after_photo(world: World) -> None:
    case = case_in_state(world, Status.HANDLING)

    response = client_for(world.handler).post(
        action_url(case, "report_handled"),
        {
            "expected_version": case.version,
            "note": "已清运",
            "photos": SimpleUploadedFile("after.jpg", jpeg_bytes(), content_type="image/jpeg"),
        },
    )

    case.refresh_from_db()
    assert response.status_code == 200
    assert case.status == Status.HANDLED
    assert case.photos.filter(stage=CasePhoto.Stage.HANDLING_AFTER).count() == 1
    assert "处置后照片 1" in response.content.decode()


def test_report_handled_refuses_a_file_that_is_not_a_photo(world: World) -> None:
    case = case_in_state(world, Status.HANDLING)

    response = client_for(world.handler).post(
        action_url(case, "report_handled"),
        {
            "expected_version": case.version,
            "photos": SimpleUploadedFile("after.jpg", b"not a picture", content_type="image/jpeg"),
        },
    )

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == Status.HANDLING


def test_request_extension_then_the_dispatchers_answer_is_shown(world: World) -> None:
    case = case_in_state(world, Status.HANDLING)
    client = client_for(world.handler)

    asked = client.post(
        action_url(case, "request_extension"),
        {"expected_version": case.version, "until": "2099-01-05T10:00", "reason": "需要采购"},
    )
    act(world, "deny_extension", case.pk, note="请按期完成")
    answered = client.get(reverse("department:drawer", args=[case.pk])).content.decode()

    assert asked.status_code == 200
    assert "待审批申请" in asked.content.decode() and "需要采购" in asked.content.decode()
    assert "调度答复" in answered and "驳回延期" in answered and "请按期完成" in answered


def _page_and_drawer(client: Client, case: Case) -> None:
    assert client.get(reverse("department:home")).status_code == 200
    assert client.get(reverse("department:drawer", args=[case.pk])).status_code == 200


def test_page_and_drawer_queries_do_not_grow_with_the_cases(
    world: World, django_assert_max_num_queries: object
) -> None:
    first = case_in_state(world, Status.HANDLING)
    client = client_for(world.handler)
    _page_and_drawer(client, first)
    with django_assert_max_num_queries(40) as few:  # type: ignore[operator]
        _page_and_drawer(client, first)
    for _ in range(10):
        case_in_state(world, Status.HANDLING)
    busy = case_in_state(world, Status.HANDLING, pending="suspension")

    with django_assert_max_num_queries(len(few.captured_queries)):  # type: ignore[operator]
        _page_and_drawer(client, busy)


def test_administrator_without_a_handling_department_sees_an_empty_queue(world: World) -> None:
    case = case_in_state(world, Status.HANDLING)

    page = client_for(world.administrator).get(reverse("department:home"))

    assert page.status_code == 200
    assert case.number not in page.content.decode()
    assert "此队列暂无案件" in page.content.decode()

"""The command centre's page through HTTP: queues and counts, the drawer with only the actions
the person may take, thin action views that refuse what the services refuse, bulk dispatch,
the change cursor, the map data, and query counts that do not grow with the cases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Case
from cases.web import common
from cases.workflow import Status, allowed_actions
from departments.roles import Role
from tests.factories.cases import World, act, build_world, case_in_state, report_case
from tests.ui.helpers import client_for, drawer_actions

COMMAND_ROLES = ("acceptor", "shift_leader", "dispatcher", "administrator")
OTHER_ROLES = ("inspector", "handler", "department_lead", "supervisor", "street_handler")


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def drawer_url(case: Case) -> str:
    return reverse("dispatch:drawer", args=[case.pk])


def action_url(case: Case, action: str) -> str:
    return reverse("dispatch:action", args=[case.pk, action])


def test_home_shows_each_queue_with_its_count_and_rows(world: World) -> None:
    reported = report_case(world)
    filed = case_in_state(world, Status.FILED)
    case_in_state(world, Status.HANDLING, pending="extension")
    client = client_for(world.dispatcher)

    home = client.get(reverse("dispatch:home")).content.decode()
    to_dispatch = client.get(reverse("dispatch:home"), {"queue": "dispatch"}).content.decode()

    assert re.search(r'data-queue="accept">待受理 <span class="count">1<', home)
    assert re.search(r'data-queue="dispatch">待派遣 <span class="count">1<', home)
    assert re.search(r'data-queue="approve">待审批 <span class="count">1<', home)
    assert reported.number in home and filed.number not in home
    assert filed.number in to_dispatch and reported.number not in to_dispatch
    assert 'id="bulk-form"' in to_dispatch
    as_acceptor = client_for(world.acceptor).get(reverse("dispatch:home"), {"queue": "dispatch"})
    assert filed.number in as_acceptor.content.decode()
    assert 'id="bulk-form"' not in as_acceptor.content.decode()


def test_home_filters_like_the_api(world: World) -> None:
    first = report_case(world)
    second = report_case(world, location=world.point(grid=1), address="另一处")
    client = client_for(world.acceptor)

    page = client.get(reverse("dispatch:home"), {"area": world.grids[1].code}).content.decode()
    data = client.get(reverse("dispatch:map"), {"area": world.grids[1].code}).json()

    assert second.number in page and first.number not in page
    assert [f["properties"]["number"] for f in data["features"]] == [second.number]


def test_map_sends_only_the_cases_in_its_view(world: World) -> None:
    first = report_case(world)
    second = report_case(world, location=world.point(grid=1), address="另一处")
    client = client_for(world.acceptor)
    west, south, east, north = world.grids[1].boundary.extent

    inside = client.get(reverse("dispatch:map"), {"bbox": f"{west},{south},{east},{north}"})
    everything = client.get(reverse("dispatch:map"), {"bbox": "73,3,135,54"})
    nowhere = client.get(reverse("dispatch:map"), {"bbox": "100,10,100.1,10.1"})

    numbers = lambda answer: {f["properties"]["number"] for f in answer.json()["features"]}  # noqa: E731
    assert numbers(inside) == {second.number}
    assert numbers(everything) == {first.number, second.number}
    assert numbers(nowhere) == set()


def test_map_keeps_the_most_urgent_cases_and_says_it_left_some_out(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "MAP_LIMIT", 2)
    cases = [report_case(world, location=world.point(grid=i % 2)) for i in range(3)]
    now = timezone.now()
    for case, hours in zip(cases, (3, -1, 1), strict=True):  # the second is overdue
        Case.objects.filter(pk=case.pk).update(step_deadline=now + timedelta(hours=hours))
    client = client_for(world.acceptor)

    cut = client.get(reverse("dispatch:map"), {"queue": "accept"}).json()
    one_grid = client.get(reverse("dispatch:map"), {"queue": "accept", "area": world.grids[1].code})

    assert cut["truncated"] is True
    assert [f["properties"]["number"] for f in cut["features"]] == [
        cases[1].number,
        cases[2].number,
    ]
    first = cut["features"][0]
    assert first["geometry"] == {
        "type": "Point",
        "coordinates": [pytest.approx(cases[1].location.x), pytest.approx(cases[1].location.y)],
    }
    assert first["properties"]["status"] == str(Status.REPORTED.label)
    assert one_grid.json()["truncated"] is False
    assert [f["properties"]["number"] for f in one_grid.json()["features"]] == [cases[1].number]


@pytest.mark.parametrize(
    "bbox",
    [
        "120,36,121",
        "a,b,c,d",
        "121,36,120,37",
        "120,37,121,36",
        "120,36,121,95",
        "nan,36,121,37",
        "120,36,121,37,38",
    ],
)
def test_map_refuses_a_malformed_view_and_says_why(world: World, bbox: str) -> None:
    report_case(world)

    answer = client_for(world.acceptor).get(reverse("dispatch:map"), {"bbox": bbox})

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_bbox"
    assert "bbox" in answer.json()["message"]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_home_refuses_people_outside_the_command_centre(world: World, role: str) -> None:
    case = report_case(world)
    client = client_for(world.people[role])

    pages = [
        client.get(reverse("dispatch:home")),
        client.get(reverse("dispatch:queue")),
        client.get(reverse("dispatch:map")),
        client.get(reverse("dispatch:changes")),
        client.get(drawer_url(case)),
        client.post(action_url(case, "accept"), {"expected_version": case.version}),
        client.post(reverse("dispatch:bulk-dispatch"), {"ids": [case.pk]}),
    ]

    assert [page.status_code for page in pages] == [403] * len(pages)
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED


@pytest.mark.parametrize("role", COMMAND_ROLES)
@pytest.mark.parametrize(
    "status",
    [Status.REPORTED, Status.ACCEPTED, Status.FILED, Status.HANDLED, Status.AWAITING_CLOSING],
)
def test_drawer_offers_exactly_the_actions_of_the_role(
    world: World, role: str, status: Status
) -> None:
    case = case_in_state(world, status)
    client = client_for(world.people[role])

    html = client.get(drawer_url(case)).content.decode()

    expected = {a.value for a in allowed_actions(status, [Role(role)])}
    assert drawer_actions(html) == expected
    assert case.number in html


def test_drawer_of_a_pending_request_offers_the_decision_to_the_dispatcher_only(
    world: World,
) -> None:
    case = case_in_state(world, Status.HANDLING, pending="extension")

    as_dispatcher = client_for(world.dispatcher).get(drawer_url(case)).content.decode()
    as_acceptor = client_for(world.acceptor).get(drawer_url(case)).content.decode()

    assert drawer_actions(as_dispatcher) == {"approve_extension", "deny_extension"}
    assert "申请延期" in as_dispatcher and "测试理由" in as_dispatcher
    assert drawer_actions(as_acceptor) == set()


def test_action_the_role_may_not_take_is_refused_and_changes_nothing(world: World) -> None:
    case = report_case(world)

    as_dispatcher = client_for(world.dispatcher).post(
        action_url(case, "accept"), {"expected_version": case.version}
    )
    as_leader = client_for(world.shift_leader).post(
        action_url(case, "close"), {"expected_version": case.version}
    )
    unknown = client_for(world.acceptor).post(action_url(case, "explode"), {})

    assert as_dispatcher.status_code == 403
    assert "受理员" in as_dispatcher.content.decode()
    assert as_leader.status_code == 409
    assert unknown.status_code == 404
    case.refresh_from_db()
    assert (case.status, case.version, case.events.count()) == (Status.REPORTED, 1, 1)


def test_action_runs_the_service_and_rerenders_the_drawer(world: World) -> None:
    case = report_case(world)
    client = client_for(world.acceptor)

    response = client.post(
        action_url(case, "accept"),
        {"expected_version": case.version, "urgency": "urgent", "note": "属实"},
    )

    case.refresh_from_db()
    assert response.status_code == 200
    assert response["HX-Trigger"] == "desk:refresh"
    assert "已办理：受理" in response.content.decode()
    assert (case.status, case.urgency) == (Status.ACCEPTED, "urgent")
    assert case.events.last().note == "属实"


def test_action_with_a_stale_version_is_a_conflict_shown_in_chinese(world: World) -> None:
    case = report_case(world)
    seen = case.version
    act(world, "accept", case.pk)

    response = client_for(world.shift_leader).post(
        action_url(case, "file"), {"expected_version": seen}
    )

    assert response.status_code == 409
    assert "案件已被他人更新" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED


def test_action_missing_a_required_reason_is_refused_with_the_field_error(world: World) -> None:
    case = report_case(world)

    response = client_for(world.acceptor).post(
        action_url(case, "reject"), {"expected_version": case.version, "reason": ""}
    )

    assert response.status_code == 400
    assert "请检查“不予受理”的填写" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == Status.REPORTED


def test_dispatch_form_preselects_the_suggested_department(world: World) -> None:
    case = case_in_state(world, Status.FILED)
    services.case_after_report(case_id=case.pk)
    case.refresh_from_db()

    html = client_for(world.dispatcher).get(drawer_url(case)).content.decode()

    assert case.suggested_department is not None
    assert f'<option value="{case.suggested_department_id}" selected>' in html
    assert case.suggestion_reason in html


def test_bulk_dispatch_by_someone_who_may_not_dispatch_changes_nothing(world: World) -> None:
    case = case_in_state(world, Status.FILED)
    services.case_after_report(case_id=case.pk)

    page = client_for(world.acceptor).post(
        reverse("dispatch:bulk-dispatch"), {"ids": [case.pk], "target": "suggested"}
    )

    assert "成功 0 件，失败 1 件" in page.content.decode()
    assert "“派遣”需要以下角色之一" in page.content.decode()
    assert Case.objects.get(pk=case.pk).status == Status.FILED


def test_bulk_dispatch_reports_each_case(world: World) -> None:
    suggested = case_in_state(world, Status.FILED)
    services.case_after_report(case_id=suggested.pk)
    without_suggestion = case_in_state(world, Status.FILED)
    already = case_in_state(world, Status.HANDLING)
    services.case_after_report(case_id=already.pk)
    client = client_for(world.dispatcher)

    to_suggested = client.post(
        reverse("dispatch:bulk-dispatch"),
        {"ids": [suggested.pk, without_suggestion.pk, already.pk], "target": "suggested"},
    ).content.decode()
    to_one = client.post(
        reverse("dispatch:bulk-dispatch"),
        {"ids": [without_suggestion.pk], "target": world.sanitation.pk},
    ).content.decode()

    assert "成功 1 件，失败 2 件" in to_suggested
    assert "没有建议部门" in to_suggested
    assert "当前状态“处置中”下不能执行“派遣”" in to_suggested
    assert "成功 1 件，失败 0 件" in to_one
    dispatched = Case.objects.filter(pk__in=[suggested.pk, without_suggestion.pk])
    assert set(dispatched.values_list("status", flat=True)) == {Status.HANDLING}
    assert Case.objects.get(pk=without_suggestion.pk).lead_department == world.sanitation


def test_change_cursor_moves_when_a_case_is_reported_or_changes(world: World) -> None:
    case = report_case(world)
    client = client_for(world.dispatcher)
    before = client.get(reverse("dispatch:changes")).json()["cursor"]

    act(world, "accept", case.pk)
    after_accept = client.get(reverse("dispatch:changes")).json()["cursor"]
    report_case(world)
    after_report = client.get(reverse("dispatch:changes")).json()["cursor"]

    assert before < after_accept < after_report


def test_photo_is_served_only_to_people_who_see_its_case(world: World) -> None:
    case = report_case(world)
    photo = case.photos.get()

    seen = client_for(world.acceptor).get(reverse("dispatch:photo", args=[photo.pk]))
    refused = client_for(world.street_handler).get(reverse("department:photo", args=[photo.pk]))

    assert seen.status_code == 200 and seen["Content-Type"] == "image/jpeg"
    assert refused.status_code == 403


def _queue_and_drawer(client: Client, case: Case) -> None:
    assert client.get(reverse("dispatch:home"), {"queue": "all"}).status_code == 200
    assert client.get(drawer_url(case)).status_code == 200


def test_queue_and_drawer_queries_do_not_grow_with_the_cases(
    world: World, django_assert_max_num_queries: object
) -> None:
    first = case_in_state(world, Status.HANDLING, pending="extension")
    client = client_for(world.dispatcher)
    _queue_and_drawer(client, first)  # warm caches (content types, sessions)
    with django_assert_max_num_queries(40) as few:  # type: ignore[operator]
        _queue_and_drawer(client, first)
    for _ in range(12):
        case_in_state(world, Status.FILED)
    busy = case_in_state(world, Status.HANDLING, pending="extension")

    with django_assert_max_num_queries(len(few.captured_queries)):  # type: ignore[operator]
        _queue_and_drawer(client, busy)


def test_drawer_is_a_fragment_for_htmx_and_a_whole_page_without_scripts(world: World) -> None:
    case = report_case(world)
    client = client_for(world.acceptor)

    fragment = client.get(drawer_url(case), headers={"HX-Request": "true"}).content.decode()
    page = client.get(drawer_url(case)).content.decode()

    assert "<html" not in fragment and case.number in fragment
    assert "<html" in page and "返回队列" in page and 'data-action="accept"' in page

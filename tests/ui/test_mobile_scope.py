"""The inspector's phone pages never show a case or an action the person's role does not
allow: other roles are refused, another grid's case is not a task of mine, and only the answers
the workflow table allows now are offered (and accepted)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cases.models import Case
from cases.workflow import Source, Status
from gridcity.geo import make_point
from tests.factories.cases import World, build_world, case_in_state, jpeg_bytes, report_case
from tests.factories.grids import ComponentFactory
from tests.ui.helpers import client_for


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def public_report(world: World, *, grid: int) -> Case:
    """A public report waiting for on-site verification in the given grid."""
    return report_case(
        world,
        source=Source.PUBLIC,
        photos=[],
        location=world.point(grid=grid),
        description=f"网格 {grid} 的群众举报",
        reporter_name="王先生",
        reporter_phone="13800000000",
    )


@pytest.mark.parametrize(
    "role",
    ["dispatcher", "acceptor", "shift_leader", "handler", "department_lead", "supervisor",
     "administrator"],
)  # fmt: skip
def test_mobile_pages_refuse_every_role_but_inspector(world: World, role: str) -> None:
    case = public_report(world, grid=0)
    client = client_for(world.people[role])

    pages = [
        "/m/",
        "/m/tasks/",
        f"/m/tasks/{case.pk}/",
        "/m/reports/",
        "/m/locate/?lon=120.381&lat=36.061",
    ]
    answers = {page: client.get(page).status_code for page in pages}
    posted = client.post(
        f"/m/tasks/{case.pk}/",
        {"action": "verify_pass", "note": "", "expected_version": case.version},
    )

    assert answers == dict.fromkeys(pages, 403)
    assert posted.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.AWAITING_VERIFICATION


def test_mobile_home_sends_anonymous_visitors_to_login(db: None) -> None:
    response = Client().get("/m/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_mobile_tasks_list_only_tasks_in_my_patrol_grids(world: World) -> None:
    mine = public_report(world, grid=0)
    theirs = public_report(world, grid=1)
    not_a_task = report_case(world)  # reported: waits for the acceptor, not for me

    page = client_for(world.inspector).get("/m/tasks/").content.decode()

    assert mine.number in page
    assert theirs.number not in page
    assert not_a_task.number not in page


def test_mobile_task_of_another_grid_is_neither_shown_nor_answered(world: World) -> None:
    theirs = public_report(world, grid=1)
    client = client_for(world.inspector)

    shown = client.get(f"/m/tasks/{theirs.pk}/", follow=True)
    posted = client.post(
        f"/m/tasks/{theirs.pk}/",
        {"action": "verify_pass", "note": "", "expected_version": theirs.version},
        follow=True,
    )

    assert theirs.description not in shown.content.decode()
    assert "不在您的权限范围内" in shown.content.decode()
    assert theirs.description not in posted.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == Status.AWAITING_VERIFICATION


def test_mobile_task_offers_only_the_answers_its_status_allows(world: World) -> None:
    verification = public_report(world, grid=0)
    reinspection = case_in_state(world, Status.AWAITING_REINSPECTION)
    client = client_for(world.inspector)

    verify_page = client.get(f"/m/tasks/{verification.pk}/").content.decode()
    reinspect_page = client.get(f"/m/tasks/{reinspection.pk}/").content.decode()

    assert 'value="verify_pass"' in verify_page and 'value="verify_fail"' in verify_page
    assert 'value="reinspect_pass"' not in verify_page
    assert 'value="reinspect_pass"' in reinspect_page and 'value="reinspect_fail"' in reinspect_page
    assert 'value="verify_pass"' not in reinspect_page


def test_mobile_task_refuses_an_answer_its_status_does_not_allow(world: World) -> None:
    verification = public_report(world, grid=0)

    response = client_for(world.inspector).post(
        f"/m/tasks/{verification.pk}/",
        {"action": "reinspect_pass", "note": "", "expected_version": verification.version},
    )

    assert response.status_code == 400
    assert "当前不能执行该操作" in response.content.decode()
    verification.refresh_from_db()
    assert verification.status == Status.AWAITING_VERIFICATION


def test_mobile_task_fail_without_a_reason_is_refused_with_the_services_message(
    world: World,
) -> None:
    verification = public_report(world, grid=0)

    response = client_for(world.inspector).post(
        f"/m/tasks/{verification.pk}/",
        {"action": "verify_fail", "note": "", "expected_version": verification.version},
    )

    assert response.status_code == 400
    assert "需要填写理由" in response.content.decode()
    verification.refresh_from_db()
    assert verification.status == Status.AWAITING_VERIFICATION


def test_mobile_task_pass_with_photos_moves_the_case_on(world: World) -> None:
    verification = public_report(world, grid=0)
    photo = SimpleUploadedFile("site.jpg", jpeg_bytes(), content_type="image/jpeg")

    response = client_for(world.inspector).post(
        f"/m/tasks/{verification.pk}/",
        {
            "action": "verify_pass",
            "note": "现场属实",
            "photos": [photo],
            "expected_version": verification.version,
        },
        follow=True,
    )

    assert "已提交" in response.content.decode()
    verification.refresh_from_db()
    assert verification.status == Status.REPORTED
    assert verification.photos.filter(stage="verification").count() == 1


def test_mobile_reports_show_only_my_reports_filtered_like_the_api(world: World) -> None:
    mine = report_case(world)
    closed = case_in_state(world, Status.CLOSED)
    someone_elses = report_case(
        world, actor=world.other_inspector, location=world.point(grid=1), description="别人的"
    )
    client = client_for(world.inspector)

    everything = client.get("/m/reports/").content.decode()
    only_closed = client.get("/m/reports/", {"status": "closed"}).content.decode()

    assert mine.number in everything and closed.number in everything
    assert someone_elses.number not in everything
    assert closed.number in only_closed and mine.number not in only_closed


def test_mobile_reports_paginate_on_the_server(world: World) -> None:
    numbers = [report_case(world, description=f"第 {i} 件").number for i in range(22)]
    client = client_for(world.inspector)

    first = client.get("/m/reports/").content.decode()
    second = client.get("/m/reports/", {"page": 2}).content.decode()

    assert numbers[-1] in first and numbers[0] not in first
    assert numbers[0] in second and numbers[-1] not in second
    assert "第 2 / 2 页" in second


def test_mobile_photo_of_a_case_out_of_sight_is_refused(world: World) -> None:
    someone_elses = report_case(
        world, actor=world.other_inspector, location=world.point(grid=1), description="别人的"
    )
    photo = someone_elses.photos.get()
    client = client_for(world.inspector)

    assert client.get(f"/m/photos/{photo.pk}/").status_code == 404
    assert client_for(world.other_inspector).get(f"/m/photos/{photo.pk}/").status_code == 200


def test_mobile_locate_names_the_grid_or_says_the_point_is_outside(world: World) -> None:
    client = client_for(world.inspector)
    inside = world.point(grid=1)

    found = client.get("/m/locate/", {"lon": inside.x, "lat": inside.y}).json()
    outside = client.get("/m/locate/", {"lon": 121.5, "lat": 31.2}).json()

    assert found["grid"]["code"] == world.grids[1].code
    assert outside["grid"] is None
    assert "不在任何现行单元网格内" in outside["message"]


def test_mobile_service_worker_is_served_as_javascript_for_the_workspace(db: None) -> None:
    response = Client().get("/m/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/m/"
    assert "GridCityOutbox" in response.content.decode()


def test_mobile_locate_offers_components_of_the_chosen_category_nearest_first(
    world: World,
) -> None:
    here = world.point()
    near = ComponentFactory(
        category=world.component_category,
        geometry=make_point(lon=here.x + 0.0001, lat=here.y),
        name="近处井盖",
    )
    ComponentFactory(
        category=world.component_category,
        geometry=make_point(lon=here.x + 0.0030, lat=here.y),
        name="远处井盖",
    )
    client = client_for(world.inspector)

    offered = client.get(
        "/m/locate/", {"lon": here.x, "lat": here.y, "category": world.component_category.pk}
    ).json()
    for_a_matter = client.get(
        "/m/locate/", {"lon": here.x, "lat": here.y, "category": world.matter.pk}
    ).json()

    assert [c["identifier"] for c in offered["components"]] == [near.identifier]
    assert offered["components"][0]["name"] == "近处井盖"
    assert for_a_matter["components"] == []


def test_home_page_links_an_inspector_to_the_phone_workspace(world: World) -> None:
    inspector_home = client_for(world.inspector).get("/").content.decode()
    dispatcher_home = client_for(world.dispatcher).get("/").content.decode()

    assert 'href="/m/"' in inspector_home
    assert 'href="/m/"' not in dispatcher_home

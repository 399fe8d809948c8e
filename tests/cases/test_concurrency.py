"""Two people at once, on real transactions: one dispatch wins and the other gets a clear
conflict; a report retried with the same key while the first is running makes one case."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client

from cases import clock, services
from cases.facts import facts_differences
from cases.models import Case, CaseEvent
from cases.services import timers
from cases.workflow import Status, SystemEvent
from gridcity.errors import DomainError
from tests.concurrency import run_together
from tests.factories.cases import build_world, case_in_state, report_case

pytestmark = pytest.mark.usefixtures("tasks_in_process")


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_dispatches_make_exactly_one_event():
    world = build_world()
    case = case_in_state(world, Status.FILED)

    def dispatch() -> Case:
        return services.case_dispatch(
            case_id=case.pk, actor=world.dispatcher, lead=world.sanitation
        )

    results = run_together(dispatch, dispatch, timeout=60)

    winners = [r for r in results if isinstance(r, Case)]
    losers = [r for r in results if isinstance(r, DomainError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert losers[0].http_status == 409
    assert losers[0].details["allowed_actions"]
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_dispatches_over_http_give_200_and_409():
    world = build_world()
    case = case_in_state(world, Status.FILED)

    def post() -> tuple[int, str]:
        client = Client()
        client.force_login(world.dispatcher)
        response = client.post(
            f"/api/v1/cases/{case.pk}/dispatch/",
            {"lead": world.sanitation.pk},
            content_type="application/json",
        )
        return response.status_code, response.json()[
            "status" if response.status_code == 200 else "code"
        ]

    results = run_together(post, post, timeout=60)

    assert sorted(results) == [(200, "handling"), (409, "invalid_transition")]
    assert CaseEvent.objects.filter(case=case, action="dispatch").count() == 1


@pytest.mark.django_db(transaction=True)
def test_report_retried_with_the_same_key_while_running_makes_one_case():
    world = build_world()
    body = {
        "source": "video",
        "category": world.matter.pk,
        "description": "井盖缺失",
        "lon": world.point().x,
        "lat": world.point().y,
    }

    def post() -> tuple[int, str]:
        client = Client()
        client.force_login(world.acceptor)
        response = client.post(
            "/api/v1/cases/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="retry-7"
        )
        return response.status_code, response.json()["number"]

    results = run_together(post, post, post, timeout=60)

    assert {code for code, _ in results} == {201}
    assert len({number for _, number in results}) == 1
    assert Case.objects.count() == 1


MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _reported_cases(world, count: int) -> list[Case]:
    with clock.played_at(MONDAY_9):
        return [report_case(world, location=world.point(dx=0.1 + i * 0.02)) for i in range(count)]


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_change_each_light_once():
    world = build_world()
    cases = _reported_cases(world, 12)
    due = MONDAY_9 + timedelta(minutes=25)

    results = run_together(
        lambda: services.sweep_case_timers(now=due, batch_size=3),
        lambda: services.sweep_case_timers(now=due, batch_size=3),
        timeout=60,
    )

    assert sum(results) == len(cases), results
    for case in cases:
        assert CaseEvent.objects.filter(case=case, action=SystemEvent.TIMER_CHANGED).count() == 1
    assert set(Case.objects.values_list("timer_colour", flat=True)) == {"yellow"}


@pytest.mark.django_db(transaction=True)
def test_sweep_that_dies_mid_run_loses_nothing(monkeypatch):
    world = build_world()
    cases = _reported_cases(world, 6)
    due = MONDAY_9 + timedelta(minutes=25)
    real_refresh = timers.timers_refresh
    calls = {"n": 0}

    def dying_refresh(case, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:  # halfway through the second batch of three
            raise SystemExit("worker killed")
        return real_refresh(case, **kwargs)

    monkeypatch.setattr(timers, "timers_refresh", dying_refresh)
    with pytest.raises(SystemExit):
        services.sweep_case_timers(now=due, batch_size=3)
    done_before = Case.objects.filter(timer_colour="yellow").count()
    events_before = CaseEvent.objects.filter(action=SystemEvent.TIMER_CHANGED).count()
    still_due = Case.objects.timer_due(now=due).count()
    monkeypatch.setattr(timers, "timers_refresh", real_refresh)
    services.sweep_case_timers(now=due, batch_size=3)

    # The first batch committed; the second left nothing behind and stayed due.
    assert (done_before, events_before, still_due) == (3, 3, 3)
    assert Case.objects.filter(timer_colour="yellow").count() == len(cases)
    assert CaseEvent.objects.filter(action=SystemEvent.TIMER_CHANGED).count() == len(cases)


@pytest.mark.django_db(transaction=True)
def test_fact_check_sees_a_step_committed_while_it_reads_whole_or_not_at_all():
    """The facts check (rebuild_case_facts --check, the load run) reads the cases with their
    facts, then their events: an acceptance committed between the two reads is no
    difference."""
    world = build_world()
    case = report_case(world)
    stepped: list[Any] = []

    def accept_in_between(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not stepped and '"cases_casefact"' in sql:
            accept = lambda: services.case_accept(case_id=case.pk, actor=world.acceptor)  # noqa: E731
            stepped.extend(run_together(accept, timeout=60))
        return result

    with connection.execute_wrapper(accept_in_between):
        differences = facts_differences(case_ids=[case.pk])

    assert [type(r) for r in stepped] == [Case]  # the step committed between the reads
    assert differences == []
    assert facts_differences(case_ids=[case.pk]) == []  # and the facts follow it

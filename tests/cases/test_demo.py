"""The demo seed and the day simulator play through the real services, deterministically."""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from cases import demo
from cases.models import Case, CaseEvent, CasePhoto
from cases.workflow import Action, Status

pytestmark = pytest.mark.django_db


def event_counters_match(case: Case) -> bool:
    events = CaseEvent.objects.filter(case=case)
    return (
        case.rework_count == events.filter(action=Action.REINSPECT_FAIL).count()
        and case.extension_count == events.filter(action=Action.APPROVE_EXTENSION).count()
        and case.sendback_count == events.filter(action=Action.APPROVE_SENDBACK).count()
    )


def test_demo_seed_plays_cases_over_many_statuses_once(world):
    out = StringIO()

    summary = demo.seed(scale=0.25, stdout=out)
    again = demo.seed(scale=0.25, stdout=out)

    cases = list(Case.objects.all())
    assert len(cases) >= 60
    missing = set(Status) - {c.status for c in cases} - {Status.AWAITING_VERIFICATION}
    assert not missing, summary
    assert CasePhoto.objects.filter(stage="report").exists()
    assert all(event_counters_match(c) for c in cases)
    assert all(c.events.first().action == "report" for c in cases)
    assert "skipped" in again


def _day(seed: int) -> list[tuple[str, str, int]]:
    call_command("simulate_day", seed=seed, date=date(2026, 11, 24), reports=12, stdout=StringIO())
    return list(Case.objects.order_by("pk").values_list("status", "number", "rework_count"))


def test_simulate_day_is_deterministic_for_a_seed(world):
    from django.db import transaction

    class Undo(Exception):
        pass

    runs = []
    for _ in range(2):
        try:
            with transaction.atomic():
                runs.append(_day(7))
                raise Undo
        except Undo:
            pass

    assert runs[0] == runs[1]
    assert len(runs[0]) >= 5
    assert {status for status, _, _ in runs[0]} - {"reported", "awaiting_verification"}

"""A fortnight of cases for the evaluation reports, played through the real services at chosen
moments (cases.clock), whose every count the report tests work out by hand.

Week 1 is Mon 2026-03-02 … Sun 03-08, week 2 is Mon 03-09 … Sun 03-15 (no holidays). Duty hours
8:30–12:00 and 13:30–17:30; 暴露垃圾 (06010) is handled within 4 working hours, the component
category within the default 1 working day; verification and re-inspection within 30 working
minutes. The built-in duty hours and time limits must be loaded (departments.seeding).

Letters name the cases in the tests:
  A closed on time in week 2          H rejected at acceptance
  B handled late, re-inspected late,  I dispatched Friday of week 1, deadline Monday of week 2,
    closed overdue                      handled and closed late in week 2
  C reworked once, closed on time     J deadline in week 1 and still open at its end, closed
  D extended, closed on time            late in week 2
  E suspended (still)                 K public report, verified, sent back and re-dispatched
  F overdue and open                    to the street office, handled on time, not closed
  G filed then voided                 L self-handled by the inspector (never dispatched)
                                      M component case in the second grid, closed on time
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from random import Random
from zoneinfo import ZoneInfo

from cases import clock
from cases.models import Case
from cases.workflow import Source
from tests.factories.cases import COMMUNITY, World, act, jpeg_bytes, report_case

ZONE = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2026, city time."""
    return datetime(2026, 3, day, hour, minute, tzinfo=ZONE)


def _play(world: World, case_id: int, steps: list[tuple[datetime, str, dict]]) -> None:
    for moment, action, extra in steps:
        with clock.played_at(moment):
            act(world, action, case_id, **extra)


def _report(world: World, moment: datetime, **kwargs: object) -> int:
    with clock.played_at(moment):
        return report_case(world, **kwargs).pk


def _loop(day: int, *, handled: tuple[int, int, int], closed: tuple[int, int, int]) -> list:
    """Accept, file and dispatch at 9:05–9:15 of ``day``, report back, re-inspect, close."""
    return [
        (at(day, 9, 5), "accept", {}),
        (at(day, 9, 10), "file", {}),
        (at(day, 9, 15), "dispatch", {}),
        (at(*handled), "report_handled", {}),
        (at(handled[0], handled[1], handled[2] + 5), "send_for_reinspection", {}),
        (at(handled[0], handled[1], handled[2] + 10), "reinspect_pass", {}),
        (at(*closed), "close", {}),
    ]


def build_fortnight(world: World) -> dict[str, Case]:
    """The thirteen cases A–M (see the module docstring), fetched fresh."""
    w = world
    ids: dict[str, int] = {}
    step: Callable[[str, list], None] = lambda name, steps: _play(w, ids[name], steps)  # noqa: E731

    ids["A"] = _report(w, at(9, 9))
    step("A", _loop(9, handled=(9, 10, 0), closed=(9, 10, 20)))

    ids["B"] = _report(w, at(10, 9))
    step(
        "B",
        [
            (at(10, 9, 5), "accept", {}),
            (at(10, 9, 10), "file", {}),
            (at(10, 9, 15), "dispatch", {}),
            (at(11, 10, 0), "report_handled", {}),  # deadline was Tue 14:45: late
            (at(11, 10, 5), "send_for_reinspection", {}),
            (at(11, 11, 0), "reinspect_pass", {}),  # 60 minutes after report back: late
            (at(11, 11, 30), "close", {}),
        ],
    )

    ids["C"] = _report(w, at(9, 9, 30))
    step(
        "C",
        [
            (at(9, 9, 35), "accept", {}),
            (at(9, 9, 40), "file", {}),
            (at(9, 9, 45), "dispatch", {}),
            (at(9, 10, 0), "report_handled", {}),
            (at(9, 10, 5), "send_for_reinspection", {}),
            (at(9, 10, 20), "reinspect_fail", {}),  # rework: a new limit from now
            (at(9, 11, 0), "report_handled", {}),
            (at(9, 11, 5), "send_for_reinspection", {}),
            (at(9, 11, 10), "reinspect_pass", {}),
            (at(9, 11, 30), "close", {}),
        ],
    )

    ids["D"] = _report(w, at(9, 10))
    step(
        "D",
        [
            (at(9, 10, 5), "accept", {}),
            (at(9, 10, 10), "file", {}),
            (at(9, 10, 15), "dispatch", {}),
            (at(9, 11, 0), "request_extension", {}),  # until the deadline + 3 days
            (at(9, 11, 10), "approve_extension", {}),
            (at(11, 10, 0), "report_handled", {}),
            (at(11, 10, 5), "send_for_reinspection", {}),
            (at(11, 10, 10), "reinspect_pass", {}),
            (at(11, 10, 30), "close", {}),
        ],
    )

    ids["E"] = _report(w, at(10, 9, 30))
    step(
        "E",
        [
            (at(10, 9, 35), "accept", {}),
            (at(10, 9, 40), "file", {}),
            (at(10, 9, 45), "dispatch", {}),
            (at(10, 9, 50), "request_suspension", {}),
            (at(10, 10, 0), "approve_suspension", {}),
        ],
    )

    ids["F"] = _report(w, at(11, 9))
    step(
        "F",
        [
            (at(11, 9, 5), "accept", {}),
            (at(11, 9, 10), "file", {}),
            (at(11, 9, 15), "dispatch", {}),
        ],
    )

    ids["G"] = _report(w, at(10, 9, 20))
    step(
        "G",
        [(at(10, 9, 25), "accept", {}), (at(10, 9, 30), "file", {}), (at(10, 10), "void", {})],
    )

    ids["H"] = _report(w, at(10, 11))
    step("H", [(at(10, 11, 5), "reject", {})])

    ids["I"] = _report(w, at(6, 16))
    step(
        "I",
        [
            (at(6, 16, 5), "accept", {}),
            (at(6, 16, 10), "file", {}),
            (at(6, 16, 30), "dispatch", {}),  # deadline Monday 11:30, in week 2
            (at(12, 10, 0), "report_handled", {}),
            (at(12, 10, 5), "send_for_reinspection", {}),
            (at(12, 10, 10), "reinspect_pass", {}),
            (at(12, 10, 30), "close", {}),
        ],
    )

    ids["J"] = _report(w, at(4, 9))
    step("J", _loop(4, handled=(10, 9, 0), closed=(10, 9, 30)))

    ids["K"] = _report(
        w,
        at(12, 9),
        source=Source.PUBLIC,
        photos=[],
        reporter_name="王先生",
        reporter_phone="13800000000",
    )
    step(
        "K",
        [
            (at(12, 9, 10), "verify_pass", {}),
            (at(12, 9, 15), "accept", {}),
            (at(12, 9, 20), "file", {}),
            (at(12, 9, 30), "dispatch", {}),
            (at(12, 9, 40), "request_sendback", {}),
            (at(12, 10, 0), "approve_sendback", {}),
            (at(12, 10, 30), "dispatch", {"lead": w.street_office}),
            (at(12, 11, 0), "report_handled", {"actor": w.street_handler}),
        ],
    )

    ids["L"] = _report(w, at(13, 9))
    step(
        "L",
        [
            (at(13, 9, 10), "self_handle", {"photos": [jpeg_bytes(colour=(200, 200, 200))]}),
            (at(13, 9, 20), "approve_self_handle", {}),
        ],
    )

    ids["M"] = _report(
        w,
        at(9, 14),
        actor=w.other_inspector,
        location=w.point(grid=1),
        category=w.component_category,
    )
    step(
        "M",
        [
            (at(9, 14, 5), "accept", {}),
            (at(9, 14, 10), "file", {}),
            (at(9, 14, 15), "dispatch", {}),
            (at(9, 15, 0), "report_handled", {}),
            (at(9, 15, 5), "send_for_reinspection", {}),
            (at(9, 15, 10), "reinspect_pass", {"actor": w.other_inspector}),
            (at(9, 15, 30), "close", {}),
        ],
    )
    return {name: Case.objects.get(pk=pk) for name, pk in ids.items()}


# ---------------------------------------------------------------- random facts
def random_facts(world: World, *, count: int, grids: int = 3, seed: int = 7) -> list[int]:
    """``count`` cases whose evaluation facts are drawn at random from about a year around March
    2026, spread over ``grids`` grid codes, departments and people, with steps left undone,
    periods crossed and deadlines missed. Their event logs do not match (only the case rows are
    copies of one real report): they are for checking that two ways of counting agree."""
    from cases.facts import CaseFact

    rng = Random(seed)
    template = report_case(world)
    copied = {
        f.attname: getattr(template, f.attname)
        for f in Case._meta.concrete_fields
        if not f.primary_key
    }
    first = Case.objects.count()
    cases = Case.objects.bulk_create(
        [Case(**{**copied, "number": f"2099{first + i:08d}"}) for i in range(count)]
    )
    people = [world.inspector, world.other_inspector, world.acceptor, world.shift_leader]
    departments = [world.sanitation.pk, world.street_office.pk, None]
    start = at(1, 0) - timedelta(days=150)

    def later(moment: datetime | None, *, chance: float, hours: float) -> datetime | None:
        if moment is None or rng.random() > chance:
            return None
        return moment + timedelta(hours=rng.uniform(0, hours))

    def person() -> int | None:
        return rng.choice([*(p.pk for p in people), None])

    facts = []
    for case in cases:
        code = f"{COMMUNITY}{rng.randrange(grids) + 1:03d}"
        reported = start + timedelta(hours=rng.uniform(0, 300 * 24))
        source = rng.choice(list(Source.values))
        verified = later(reported, chance=0.3, hours=30)
        accepted = later(verified or reported, chance=0.9, hours=40)
        filed = later(accepted, chance=0.9, hours=20)
        dispatched = later(filed, chance=0.9, hours=20)
        deadline = later(dispatched, chance=1, hours=24 * 20)
        handled = later(dispatched, chance=0.8, hours=24 * 25)
        reinspected = later(handled, chance=0.8, hours=30)
        closed = later(reinspected, chance=0.8, hours=24 * 10)
        category = rng.choice([world.matter, world.component_category])
        facts.append(
            CaseFact(
                case_id=case.pk,
                number=case.number,
                status="closed" if closed else "handling",
                source=source,
                category_id=category.pk,
                category_kind=category.kind,
                category_major=category.major_code,
                category_code=category.code,
                grid_id=world.grids[0].pk,
                grid_code=code,
                community_code=code[:12],
                street_code=code[:9],
                district_code=code[:6],
                lead_department_id=rng.choice(departments) if dispatched else None,
                location=case.location,
                reporter_id=person(),
                grid_inspector_id=person(),
                verifier_id=person() if verified else None,
                acceptor_id=person() if accepted else None,
                filer_id=person() if filed else None,
                dispatcher_id=person() if dispatched else None,
                reinspector_id=person() if reinspected else None,
                closer_id=person() if closed else None,
                reported_at=reported,
                verified_at=verified,
                verified_on_time=rng.choice([True, False]) if verified else None,
                accepted_at=accepted,
                filed_at=filed,
                voided_at=later(filed, chance=0.1, hours=100),
                dispatched_at=dispatched,
                handling_deadline=deadline,
                handled_at=handled,
                handled_on_time=rng.choice([True, False]) if handled else None,
                reinspected_at=reinspected,
                reinspected_on_time=rng.choice([True, False]) if reinspected else None,
                closed_at=closed,
                outcome=rng.choice(["on_time", "overdue"]) if closed else "",
                suspended=rng.random() < 0.1,
                rework_count=rng.choice([0, 0, 0, 1, 2]),
                extension_count=rng.choice([0, 0, 1]),
                sendback_count=rng.choice([0, 0, 1]),
            )
        )
    CaseFact.objects.bulk_create(facts)
    return [case.pk for case in cases]

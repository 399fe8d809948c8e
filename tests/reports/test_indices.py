"""The evaluation indices: the rate function against a published city week, periods, and every
count, rate and roll-up of a fortnight of cases whose numbers are worked out by hand (see
tests/factories/reports.py for the thirteen cases A–M)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.management import call_command

from cases.facts import CaseFact, facts_differences
from departments.models import Person
from departments.roles import Role
from grids.models import Area
from reports.counting import count_units
from reports.indices import (
    DIMENSIONS,
    MEASURES,
    Options,
    Period,
    period_of,
    rate,
    rates_of,
)
from reports.selectors import cases_behind, facts_for_user, report_build
from tests.factories.departments import person_with_roles
from tests.factories.reports import at

WEEK_1 = period_of("week", date(2026, 3, 2))
WEEK_2 = period_of("week", date(2026, 3, 9))
MARCH = period_of("month", date(2026, 3, 20))
OPTIONS = Options(convention="event", exclude_suspended=True, now=at(20, 12))


def test_rate_gives_the_published_zhengzhou_week():
    accepted, filed, dispatched, due = 51_571, 51_229, 49_151, 52_434
    closed, on_time, reworked, extended = 43_523, 40_394, 276, 104

    rates = rates_of(
        {
            "accepted": accepted,
            "filed": filed,
            "dispatched": dispatched,
            "due": due,
            "closed": closed,
            "closed_on_time": on_time,
            "reworked": reworked,
            "extended": extended,
        },
        ("filing", "dispatch", "closing", "on_time_closing", "rework", "extension"),
    )

    assert rates == {
        "filing": Decimal("99.34"),
        "dispatch": Decimal("95.94"),
        "closing": Decimal("83.01"),  # 83.005… rounds half up
        "on_time_closing": Decimal("77.04"),
        "rework": Decimal("0.53"),
        "extension": Decimal("0.20"),
    }


def test_rate_of_nothing_due_is_none_and_halves_round_up():
    assert rate(0, 0) is None
    assert rate(1, 8) == Decimal("12.50")
    assert rate(1, 800) == Decimal("0.13")  # 0.125 → 0.13


def test_period_of_gives_calendar_periods_in_city_time():
    assert period_of("week", date(2026, 3, 12)) == Period(
        "week", date(2026, 3, 9), date(2026, 3, 15)
    )
    assert period_of("quarter", date(2026, 5, 5)) == Period(
        "quarter", date(2026, 4, 1), date(2026, 6, 30)
    )
    assert period_of("month", date(2026, 2, 10)).last == date(2026, 2, 28)
    assert WEEK_2.start.isoformat() == "2026-03-09T00:00:00+08:00"
    assert WEEK_2.previous() == WEEK_1


# ---------------------------------------------------------------- the fortnight
def counts_of(period, dimension="city", options=OPTIONS):
    return count_units(
        CaseFact.objects.all(), period=period, dimension=DIMENSIONS[dimension], options=options
    )


EMPTY = dict.fromkeys(MEASURES, 0)
WEEK_2_CITY = {
    **EMPTY,
    "reports": 10,  # A–H, L, M (I and J came in week 1, K from the public)
    "valid_reports": 8,  # not H (rejected) nor L (self-handled, never filed)
    "accepted": 9,
    "filed": 9,
    "filed_not_voided": 8,  # G voided
    "public_filed": 1,  # K
    "dispatched": 8,  # A–F, K, M (first dispatch)
    "dispatched_not_sent_back": 7,  # K was sent back
    "due": 9,  # closed A B C D I J M + open past deadline F K (E suspended: out)
    "closed": 7,
    "closed_on_time": 4,  # A C D M
    "reworked": 1,  # C
    "extended": 1,  # D
    "due_handle": 9,  # handled A B C D I J K M + F
    "handled": 8,
    "handled_on_time": 5,  # A C D K M
    "verified": 1,
    "verified_on_time": 1,
    "reinspected": 7,  # A B C D I J M
    "reinspected_on_time": 6,  # B was re-inspected an hour after its report back
}


def test_deadlines_fall_where_the_hand_count_assumes(fortnight):
    c = fortnight

    # 暴露垃圾: 4 working hours. I: Friday 16:30–17:30, then Monday 8:30–11:30.
    assert c["I"].handling_deadline == at(9, 11, 30)
    assert c["J"].handling_deadline == at(4, 14, 45)  # 9:15–12:00, 13:30–14:45
    assert c["F"].handling_deadline == at(11, 14, 45)
    assert c["K"].handling_deadline == at(12, 16, 0)  # re-dispatched at 10:30
    assert c["E"].handling_deadline == at(10, 15, 15)
    assert c["B"].handling_deadline == at(10, 14, 45)  # reported back the next day: late
    assert (c["E"].status, c["F"].status, c["K"].status) == (
        "suspended",
        "handling",
        "handled",
    )


def test_city_counts_of_week_two_match_the_hand_count(fortnight):
    counts = counts_of(WEEK_2)[""]

    assert counts == WEEK_2_CITY
    assert rates_of(counts) == {
        "filing": Decimal("100.00"),
        "dispatch": Decimal("88.89"),
        "closing": Decimal("77.78"),
        "on_time_closing": Decimal("44.44"),
        "handling": Decimal("88.89"),
        "on_time_handling": Decimal("55.56"),
        "rework": Decimal("11.11"),
        "extension": Decimal("11.11"),
        "valid_report": Decimal("80.00"),
        "miss": Decimal("11.11"),
        "on_time_verification": Decimal("100.00"),
        "on_time_reinspection": Decimal("85.71"),
        "accurate_filing": Decimal("88.89"),
        "accurate_dispatch": Decimal("87.50"),
    }


def test_week_one_counts_the_case_still_open_past_its_deadline(fortnight):
    counts = counts_of(WEEK_1)[""]

    assert counts == {
        **EMPTY,
        "reports": 2,
        "valid_reports": 2,
        "accepted": 2,
        "filed": 2,
        "filed_not_voided": 2,
        "dispatched": 2,
        "dispatched_not_sent_back": 2,
        "due": 1,  # J: deadline Wednesday, closed only in week 2; I's deadline is in week 2
        "due_handle": 1,
    }


def test_month_counts_both_weeks(fortnight):
    counts = counts_of(MARCH)[""]

    assert (counts["reports"], counts["accepted"], counts["dispatched"]) == (12, 11, 10)
    assert (counts["due"], counts["closed"], counts["closed_on_time"]) == (9, 7, 4)
    assert (counts["due_handle"], counts["handled"], counts["handled_on_time"]) == (9, 8, 5)


def test_suspended_cases_stay_in_the_denominators_when_the_city_says_so(fortnight):
    keep = Options(convention="event", exclude_suspended=False, now=OPTIONS.now)

    counts = counts_of(WEEK_2, options=keep)[""]

    assert (counts["due"], counts["due_handle"]) == (10, 10)  # E is back in
    assert rates_of(counts)["closing"] == Decimal("70.00")


def test_reported_convention_counts_the_cases_reported_in_the_period(fortnight):
    cohort = Options(convention="reported", exclude_suspended=True, now=OPTIONS.now)

    counts = counts_of(WEEK_1, options=cohort)[""]

    assert (counts["accepted"], counts["dispatched"], counts["due"], counts["closed"]) == (
        2,
        2,
        2,
        2,
    )
    assert counts["closed_on_time"] == 0  # I and J were both closed late


def test_department_rollup_matches_the_hand_count(fortnight, world):
    units = counts_of(WEEK_2, "department")

    assert set(units) == {str(world.sanitation.pk), str(world.street_office.pk)}
    assert units[str(world.sanitation.pk)] == {
        **EMPTY,
        "reports": 7,
        "valid_reports": 7,
        "accepted": 7,
        "filed": 7,
        "filed_not_voided": 7,
        "dispatched": 7,
        "dispatched_not_sent_back": 7,
        "due": 8,
        "closed": 7,
        "closed_on_time": 4,
        "reworked": 1,
        "extended": 1,
        "due_handle": 8,
        "handled": 7,
        "handled_on_time": 4,
        "reinspected": 7,
        "reinspected_on_time": 6,
    }
    assert units[str(world.street_office.pk)] == {
        **EMPTY,
        "accepted": 1,
        "filed": 1,
        "filed_not_voided": 1,
        "public_filed": 1,
        "dispatched": 1,
        "due": 1,
        "due_handle": 1,
        "handled": 1,
        "handled_on_time": 1,
        "verified": 1,
        "verified_on_time": 1,
    }


def test_area_category_and_source_rollups_match_the_hand_count(fortnight, world):
    first, second = (g.code for g in world.grids)

    grids = counts_of(WEEK_2, "grid")
    community = counts_of(WEEK_2, "community")
    street = counts_of(WEEK_2, "street")
    kinds = counts_of(WEEK_2, "kind")
    majors = counts_of(WEEK_2, "major")
    sources = counts_of(WEEK_2, "source")

    assert (grids[first]["due"], grids[first]["closed"], grids[first]["closed_on_time"]) == (
        8,
        6,
        3,
    )
    assert (grids[second]["due"], grids[second]["closed"], grids[second]["closed_on_time"]) == (
        1,
        1,
        1,
    )
    assert community[first[:12]] == street[first[:9]] == WEEK_2_CITY
    assert (kinds["matter"]["due"], kinds["component"]["due"]) == (8, 1)
    assert majors["matter:06"]["accepted"] == 8
    assert majors["component:01"]["accepted"] == 1
    assert (sources["public"]["accepted"], sources["inspector"]["accepted"]) == (1, 8)


def test_person_rollups_match_the_hand_count(fortnight, world):
    inspectors = counts_of(WEEK_2, "inspector")
    dispatchers = counts_of(WEEK_2, "dispatcher")
    acceptors = counts_of(WEEK_2, "acceptor")
    leaders = counts_of(WEEK_2, "shift_leader")

    mine = inspectors[str(world.inspector.pk)]
    assert (mine["reports"], mine["valid_reports"]) == (9, 7)
    assert (mine["filed"], mine["public_filed"]) == (8, 1)  # filed in the grid patrolled
    assert (mine["verified"], mine["verified_on_time"]) == (1, 1)
    assert (mine["reinspected"], mine["reinspected_on_time"]) == (6, 5)
    other = inspectors[str(world.other_inspector.pk)]
    assert (other["reports"], other["valid_reports"], other["reinspected"]) == (1, 1, 1)
    assert rates_of(mine)["valid_report"] == Decimal("77.78")
    assert rates_of(mine)["miss"] == Decimal("12.50")
    assert dispatchers[str(world.dispatcher.pk)] == {
        "dispatched": 8,
        "dispatched_not_sent_back": 7,
    }
    assert acceptors[str(world.acceptor.pk)] == {"accepted": 9, "filed": 9}
    assert leaders[str(world.shift_leader.pk)] == {
        "filed": 9,
        "filed_not_voided": 8,
        "closed": 7,
        "closed_on_time": 4,
    }


def test_every_number_lists_exactly_its_cases(fortnight):
    facts = CaseFact.objects.all()
    checked = 0

    for dimension in DIMENSIONS.values():
        for period in (WEEK_1, WEEK_2):
            units = count_units(facts, period=period, dimension=dimension, options=OPTIONS)
            for key, counts in units.items():
                for measure, count in counts.items():
                    behind = cases_behind(
                        facts=facts,
                        period=period,
                        dimension=dimension,
                        key=key,
                        measure=measure,
                        options=OPTIONS,
                    )
                    assert behind.count() == count, (dimension.key, key, measure)
                    checked += 1

    assert checked > 500


def test_drill_down_names_the_hand_counted_cases(fortnight):
    c = fortnight

    def numbers(measure):
        return set(
            cases_behind(
                facts=CaseFact.objects.all(),
                period=WEEK_2,
                dimension=DIMENSIONS["city"],
                key="",
                measure=measure,
                options=OPTIONS,
            ).values_list("number", flat=True)
        )

    assert numbers("due") == {c[x].number for x in "ABCDIJMFK"}
    assert numbers("closed_on_time") == {c[x].number for x in "ACDM"}
    assert numbers("reworked") == {c["C"].number}


def test_facts_rebuilt_from_the_log_equal_the_incremental_ones(fortnight):
    stored = {f.case_id: f.as_dict() for f in CaseFact.objects.all()}

    differences = facts_differences()
    call_command("rebuild_case_facts")

    rebuilt = {f.case_id: f.as_dict() for f in CaseFact.objects.all()}
    assert differences == []
    assert len(stored) == 13
    assert rebuilt == stored
    call_command("rebuild_case_facts", "--check")


def test_rebuild_check_reports_a_fact_that_drifted(fortnight):
    CaseFact.objects.filter(case=fortnight["A"]).update(rework_count=5)

    differences = facts_differences()

    assert differences == [(fortnight["A"].pk, "rework_count", 5, 0)]


def test_department_scores_rank_only_units_with_enough_sample(fortnight, world, settings):
    settings.GRIDCITY_REPORTS_MIN_SAMPLE = 5

    report = report_build(
        facts=CaseFact.objects.all(),
        period=WEEK_2,
        dimension=DIMENSIONS["department"],
        options=OPTIONS,
    )

    sanitation, street = report.rows
    # volume 100 × 10 % + closing 87.50 × 30 % + on-time handling 50.00 × 30 %
    # + (100 − rework 12.50) × 30 % = 77.50
    assert (sanitation.label, sanitation.score, sanitation.grade) == (
        world.sanitation.name,
        Decimal("77.50"),
        "B",
    )
    assert (sanitation.rank, sanitation.ranked) == (1, True)
    assert (street.rank, street.ranked, street.sample) == (None, False, 1)
    assert report.total.counts == WEEK_2_CITY


def test_readers_see_only_their_scope(fortnight, world):
    lead_facts = facts_for_user(user=world.department_lead)
    elsewhere = person_with_roles(Role.SUPERVISOR, department=world.centre)
    other_area = Area.objects.create(code="370202002", level="street", name="别的街道")
    Person.objects.get(user=elsewhere).supervised_areas.add(other_area)

    assert set(lead_facts.values_list("lead_department_id", flat=True)) == {world.sanitation.pk}
    assert facts_for_user(user=elsewhere).count() == 0
    assert facts_for_user(user=world.supervisor).count() == 13

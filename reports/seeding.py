"""The built-in score schemes and grade bands (domain reference §6): department and inspector
weights from a published open implementation, areas weighted like departments, command-centre
roles by the accuracy of their own step. The data migration and a flushed test database load
them the same way; rows the city has edited are left alone."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

BANDS = (("A", 90), ("B", 75), ("C", 60), ("D", 40), ("E", 0))
DEPARTMENT_WEIGHTS = (
    ("volume", 10, False),
    ("closing", 30, False),
    ("on_time_handling", 30, False),
    ("rework", 30, True),
)
SCHEMES = (
    ("department", "部门综合评价", "due", DEPARTMENT_WEIGHTS),
    ("area", "区域综合评价", "due", DEPARTMENT_WEIGHTS),
    (
        "inspector",
        "监督员综合评价",
        "reports",
        (
            ("valid_report", 40, False),
            ("miss", 20, True),
            ("on_time_verification", 20, False),
            ("on_time_reinspection", 20, False),
        ),
    ),
    ("acceptor", "受理员综合评价", "accepted", (("filing", 100, False),)),
    ("shift_leader", "值班长综合评价", "filed", (("accurate_filing", 100, False),)),
    (
        "dispatcher",
        "派遣员综合评价",
        "dispatched",
        (("accurate_dispatch", 70, False), ("dispatch", 30, False)),
    ),
)


def load_score_schemes(score_scheme: Any, score_weight: Any, grade_band: Any) -> int:
    """Creates the missing grade bands and schemes (with their weights); returns how many."""
    GradeBand, ScoreScheme, ScoreWeight = grade_band, score_scheme, score_weight
    created = 0
    for grade, minimum in BANDS:
        _, made = GradeBand.objects.get_or_create(
            grade=grade, defaults={"min_score": Decimal(minimum)}
        )
        created += made
    for target, name, sample, weights in SCHEMES:
        scheme, made = ScoreScheme.objects.get_or_create(
            target=target, defaults={"name": name, "sample_measure": sample}
        )
        if made:
            created += 1
            ScoreWeight.objects.bulk_create(
                ScoreWeight(scheme=scheme, rate=rate, weight=Decimal(w), inverted=inverted)
                for rate, w, inverted in weights
            )
    return created

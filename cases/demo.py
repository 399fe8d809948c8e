"""Demo cases: a few hundred cases over the last four weeks, spread over every status, with
photos, played through the real services. Needs the grids and departments demos first."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import TextIO

from django.utils import timezone

from cases import services
from cases.models import Case
from cases.simulation import PATH_TO, Odds, Simulator
from cases.workflow import Status

SEED = 20261123
CASES_AT_SCALE_1 = 240


def seed(*, scale: float, stdout: TextIO) -> str:
    """Idempotent: a database that already has cases is left as it is."""
    existing = Case.objects.count()
    if existing:
        return f"{existing} cases already there, skipped"
    rng = random.Random(SEED)  # noqa: S311 — a reproducible demo, not a secret
    # Side paths a little more often than in real life, so that every status shows up.
    sim = Simulator(
        rng=rng,
        odds=Odds(reject=0.06, self_handle=0.06, void=0.05, sendback=0.08, suspension=0.08),
    )
    now = timezone.now()
    cast = sim.inspectors(now)
    if not cast:
        raise RuntimeError("cases.demo needs inspectors patrolling grids (run departments.demo)")
    total = max(13, round(CASES_AT_SCALE_1 * scale))
    # The last four weeks (so the reports show a trend), but not before the patrolled grids came
    # into force: gaps between steps scale with the window, so a short one still shows a loop.
    first_day = max(grid.valid_from for _inspector, grids in cast for grid in grids)
    start = max(
        now - timedelta(days=28),
        datetime.combine(first_day, time.min, tzinfo=timezone.get_current_timezone()),
    )
    window = (now - start).total_seconds()
    for number in range(total):
        at = start + timedelta(seconds=rng.uniform(0, 0.6 * window))
        inspector, grids = rng.choice(cast)
        case = sim.report(at=at, inspector=inspector, grids=grids)
        if case is None:
            continue
        for _ in range(rng.randrange(0, 14)):
            at += timedelta(seconds=rng.uniform(0.002, 0.03) * window)
            if at >= now or not sim.advance(case, at=at):
                break
        if (number + 1) % 50 == 0:
            stdout.write(f"  {number + 1}/{total} cases\n")
    _fill_missing_statuses(sim, cast, start=start, now=now, window=window)
    changed = services.sweep_case_timers(now=now)
    by_status = Case.objects.order_by().values_list("status", flat=True)
    spread: dict[str, int] = {}
    for status in by_status:
        spread[status] = spread.get(status, 0) + 1
    listed = ", ".join(f"{k} {v}" for k, v in sorted(spread.items()))
    return f"{len(by_status)} cases ({listed}); {changed} traffic lights updated"


def _fill_missing_statuses(
    sim: Simulator, cast: list, *, start: datetime, now: datetime, window: float
) -> None:
    """Chance may leave a status empty (a suspension is rare); play one case to each such."""
    present = set(Case.objects.values_list("status", flat=True).distinct())
    gap = timedelta(seconds=0.01 * window)
    for status in Status:
        if status in present or status == Status.AWAITING_VERIFICATION:
            continue
        inspector, grids = cast[0]
        at = start + timedelta(seconds=0.5 * window)
        case = sim.report(at=at, inspector=inspector, grids=grids, public=False)
        if case is not None and case.status == Status.REPORTED:
            sim.play_path(case, PATH_TO[status], at=at, gap=gap)

"""Plays one working day of city life through the real services (deterministic with --seed)."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cases import services
from cases.models import Case
from cases.simulation import Simulator

MAX_CASES_PER_TICK = 2000


class Command(BaseCommand):
    help = (
        "Play a day: inspectors report, the centre accepts, files and dispatches, departments "
        "handle (some late, some reworked), through the real services, in 10-minute ticks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same day)."
        )
        parser.add_argument(
            "--date",
            type=date.fromisoformat,
            default=None,
            help="The day (YYYY-MM-DD); today by default.",
        )
        parser.add_argument("--reports", type=int, default=60, help="About how many new reports.")

    def handle(
        self, *args: Any, seed: int, date: date | None, reports: int, **options: Any
    ) -> None:
        if reports < 0:
            raise CommandError("--reports must not be negative")
        zone = ZoneInfo(settings.TIME_ZONE)
        day = date or timezone.localdate()
        start = datetime.combine(day, time(8, 30), tzinfo=zone)
        end = datetime.combine(day, time(17, 30), tzinfo=zone)
        sim = Simulator(rng=random.Random(seed))  # noqa: S311 — reproducible play, not a secret
        cast = sim.inspectors(start)
        if not cast:
            raise CommandError("no inspector patrols any grid on that day: load the demo first")
        ticks = int((end - start) / timedelta(minutes=10))
        per_tick = reports / ticks
        at = start
        while at < end:
            due = int(per_tick) + (sim.rng.random() < per_tick - int(per_tick))
            for _ in range(due):
                inspector, grids = sim.rng.choice(cast)
                sim.report(at=at, inspector=inspector, grids=grids)
            # Each open case moves on with some chance per tick; slow handling makes some late.
            for case in Case.objects.open().order_by("pk")[:MAX_CASES_PER_TICK]:
                chance = 0.04 if case.status == "handling" else 0.25
                if sim.rng.random() < chance:
                    sim.advance(case, at=at)
            services.sweep_case_timers(now=at)
            at += timedelta(minutes=10)
        self.stdout.write(self.style.SUCCESS(f"{day}: {sim.summary()}"))

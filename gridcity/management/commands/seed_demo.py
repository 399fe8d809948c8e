"""Loads the demo city: each app's `demo.seed()` in dependency order. Safe to run again."""

from __future__ import annotations

import importlib
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

# The order follows the apps' dependencies: open311 → cases → departments → grids.
DEMO_MODULES = ("grids.demo", "departments.demo", "cases.demo", "open311.demo")


class Command(BaseCommand):
    help = "Load the demo city (idempotent): areas, grids, components, departments, people, cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply the demo's size (1 = about 2,000 grids and 100,000 components).",
        )

    def handle(self, *args: Any, scale: float, **options: Any) -> None:
        if scale <= 0:
            self.stderr.write(self.style.ERROR("--scale must be greater than 0"))
            raise SystemExit(2)
        for name in DEMO_MODULES:
            try:
                module = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            started = time.monotonic()
            summary = module.seed(scale=scale, stdout=self.stdout)
            took = time.monotonic() - started
            self.stdout.write(self.style.SUCCESS(f"{name}: {summary} ({took:.1f}s)"))

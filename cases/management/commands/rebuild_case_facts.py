"""Recompute the evaluation facts (cases.facts) from the event log, or only check them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cases.facts import facts_differences, facts_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild every case's evaluation fact from its event log (after a restore or an "
        "upgrade), or with --check report where the stored facts differ and exit non-zero."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Compare only; change nothing.")
        parser.add_argument("--case", type=int, action="append", help="Only this case id.")

    def handle(self, *args: Any, check: bool, case: list[int] | None, **options: Any) -> None:
        if check:
            differences = facts_differences(case_ids=case)
            for case_id, name, stored, rebuilt in differences[:50]:
                self.stdout.write(f"case {case_id}: {name} stored={stored!r} rebuilt={rebuilt!r}")
            if differences:
                raise CommandError(f"{len(differences)} differences")
            self.stdout.write(self.style.SUCCESS("facts match the event log"))
            return
        count = facts_rebuild(case_ids=case)
        self.stdout.write(self.style.SUCCESS(f"rebuilt {count} facts"))

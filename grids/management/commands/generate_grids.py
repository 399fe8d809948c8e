"""generate_grids: cut communities into ~10,000 m² grids numbered the standard way."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gridcity.errors import DomainError
from grids.services.generator import grids_generate_within


class Command(BaseCommand):
    help = (
        "Generate unit grids for the communities under the given area codes: square cells of "
        "about --cell-m2 clipped to each community, slivers merged into neighbours, coded "
        "community code + 001… west→east along rows north→south."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("codes", nargs="+", help="District, street or community codes.")
        parser.add_argument("--cell-m2", type=float, default=10_000.0, help="Target cell area.")
        parser.add_argument(
            "--min-fraction",
            type=float,
            default=0.3,
            help="Merge clipped pieces smaller than this fraction of a cell into a neighbour.",
        )
        parser.add_argument(
            "--replace", action="store_true", help="Retire existing grids of those communities."
        )
        parser.add_argument(
            "--valid-from", type=date.fromisoformat, help="Start date (YYYY-MM-DD); default today."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            generated = grids_generate_within(
                area_codes=options["codes"],
                cell_m2=options["cell_m2"],
                min_fraction=options["min_fraction"],
                replace=options["replace"],
                valid_from=options["valid_from"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        for community, grids in generated.items():
            self.stdout.write(
                _("%(community)s: %(n)s 个网格") % {"community": community, "n": len(grids)}
            )
        total = sum(len(grids) for grids in generated.values())
        self.stdout.write(
            self.style.SUCCESS(
                _("共生成 %(n)s 个网格（%(c)s 个社区）。") % {"n": total, "c": len(generated)}
            )
        )

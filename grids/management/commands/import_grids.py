"""import_grids: unit grids from any GDAL vector file, measured and versioned."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import CommandParser
from django.utils.translation import gettext as _

from grids.management.base import ImportCommand
from grids.services.imports import grids_import


class Command(ImportCommand):
    help = (
        "Import unit grids (code 14/15 digits starting with an existing community's code, "
        "polygon, optional grade and valid_from). Areas are computed in m² by PostGIS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Retire grids in force with the same code and start the imported version.",
        )
        parser.add_argument(
            "--valid-from", type=date.fromisoformat, help="Start date (YYYY-MM-DD); default today."
        )
        parser.add_argument(
            "--grade", type=int, default=2, choices=(1, 2, 3), help="Grade when the file has none."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = self.open_source(options)
        with self.progress(source.info.feature_count) as progress:
            result = grids_import(
                source=source,
                valid_from=options["valid_from"],
                replace=options["replace"],
                grade=options["grade"],
                dry_run=options["dry_run"],
                progress=progress,
            )
        self.report(result, updated_label=_("替换"))

"""import_areas: districts, streets/towns and communities/villages from any GDAL vector file."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from grids.management.base import ImportCommand
from grids.services.imports import areas_import


class Command(ImportCommand):
    help = (
        "Import administrative areas (code: 6/9/12 digits, name, polygon). Parents come from the "
        "code prefix. All or nothing; every bad feature is reported by its index."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--update", action="store_true", help="Update areas that exist.")
        parser.add_argument("--code-field", help="Column holding the code (default: detected).")
        parser.add_argument("--name-field", help="Column holding the name (default: detected).")

    def handle(self, *args: Any, **options: Any) -> None:
        source = self.open_source(options)
        with self.progress(source.info.feature_count) as progress:
            result = areas_import(
                source=source,
                update=options["update"],
                code_field=options["code_field"],
                name_field=options["name_field"],
                dry_run=options["dry_run"],
                progress=progress,
            )
        self.report(result)

"""import_components: the bulk loader for component inventories (legacy field names accepted)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from grids.management.base import ImportCommand
from grids.models import Category
from grids.selectors import category_resolve
from grids.services.imports import components_import


class Command(ImportCommand):
    help = (
        "Import components: identifier (ObjID), name (ObjName), units (DeptCode1–3/DeptName1–3), "
        "status (ObjState), dates (ORDate/CHDate), DataSource, Note. The grid is found from the "
        "geometry; missing identifiers are generated. Bulk COPY, all or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--category",
            help="Category code (5 digits, or a legacy 4-digit code) for files without one.",
        )
        parser.add_argument(
            "--update", action="store_true", help="Update components whose identifier exists."
        )
        parser.add_argument(
            "--allow-outside",
            action="store_true",
            help="Keep components outside every grid (without grid) instead of refusing them.",
        )
        parser.add_argument(
            "--district", default="", help="District code for new identifiers outside grids."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        category = (
            category_resolve(kind=Category.Kind.COMPONENT, code=options["category"])
            if options["category"]
            else None
        )
        source = self.open_source(options)
        with self.progress(source.info.feature_count) as progress:
            result = components_import(
                source=source,
                category=category,
                update=options["update"],
                allow_outside=options["allow_outside"],
                district_code=options["district"],
                dry_run=options["dry_run"],
                progress=progress,
            )
        self.report(result)

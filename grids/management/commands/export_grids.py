"""export_grids: unit grids to any format ogr2ogr writes."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gridcity.errors import DomainError
from grids.io.export import grids_export


class Command(BaseCommand):
    help = "Export unit grids (.geojson .gpkg .shp .csv .fgb .kml …) with areas in m²."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Output file; the format follows the extension.")
        parser.add_argument("--format", help="GDAL driver name, overriding the extension.")
        parser.add_argument("--srid", type=int, default=4326, help="Output CRS (EPSG code).")
        parser.add_argument("--within", default="", help="District, street or community code.")
        parser.add_argument("--on", type=date.fromisoformat, help="Grids in force on this date.")
        parser.add_argument(
            "--include-retired", action="store_true", help="Every version, not only those in force."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = grids_export(
                path=Path(options["path"]),
                driver=options["format"],
                srid=options["srid"],
                within=options["within"],
                on=options["on"],
                include_retired=options["include_retired"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        files = "、".join(str(f) for f in result.files) or _("（无）")
        self.stdout.write(
            self.style.SUCCESS(
                _("导出 %(n)s 个网格：%(files)s") % {"n": result.count, "files": files}
            )
        )

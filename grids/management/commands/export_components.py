"""export_components: the component inventory to any format ogr2ogr writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gridcity.errors import DomainError
from grids.io.export import components_export


class Command(BaseCommand):
    help = (
        "Export components (.geojson .gpkg .shp .csv …). Shapefiles are split by geometry type "
        "(_point, _line, _polygon). --legacy-names writes the CJ/T 214 exchange field names."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Output file; the format follows the extension.")
        parser.add_argument("--format", help="GDAL driver name, overriding the extension.")
        parser.add_argument("--srid", type=int, default=4326, help="Output CRS (EPSG code).")
        parser.add_argument(
            "--within", default="", help="District, street, community or grid code."
        )
        parser.add_argument("--category", default="", help="Only this 5-digit category.")
        parser.add_argument(
            "--legacy-names",
            action="store_true",
            help="ObjID, ObjName, DeptCode1–3, DeptName1–3, BGID, ObjState, ORDate, CHDate, …",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = components_export(
                path=Path(options["path"]),
                driver=options["format"],
                srid=options["srid"],
                within=options["within"],
                category_code=options["category"],
                legacy_names=options["legacy_names"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        files = "、".join(str(f) for f in result.files) or _("（无）")
        self.stdout.write(
            self.style.SUCCESS(
                _("导出 %(n)s 个部件：%(files)s") % {"n": result.count, "files": files}
            )
        )

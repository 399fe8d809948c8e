"""What the import and export commands share: source options, the progress bar, and turning
domain errors into a clear report on stderr and a non-zero exit."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from tqdm import tqdm

from gridcity.errors import DomainError
from grids.io.fields import ImportFailed
from grids.io.source import FeatureSource, source_open
from grids.services.imports import ImportResult


class ImportCommand(BaseCommand):
    """Base of import_areas, import_grids and import_components."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="Any vector file GDAL reads: .geojson .shp .gpkg .csv …")
        parser.add_argument("--layer", help="Layer name, when the file has several.")
        parser.add_argument(
            "--srid",
            type=int,
            help="EPSG code of the coordinates when the file declares none "
            "(4490 CGCS2000, 4527–4554 its Gauss–Krüger zones, 4326, 3857).",
        )
        parser.add_argument(
            "--encoding", help="Attribute encoding of a Shapefile or CSV that is not UTF-8 (GBK)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything, then write nothing."
        )

    def open_source(self, options: dict[str, Any]) -> FeatureSource:
        source = source_open(
            options["path"],
            layer=options.get("layer"),
            srid=options.get("srid"),
            encoding=options.get("encoding"),
        )
        info = source.info
        self.stdout.write(
            _("%(file)s：%(driver)s，图层 %(layer)s，%(n)s 个要素，坐标系 %(srs)s")
            % {
                "file": info.path.name,
                "driver": info.driver,
                "layer": info.layer,
                "n": info.feature_count,
                "srs": info.srs_name,
            }
        )
        return source

    @contextmanager
    def progress(self, total: int) -> Iterator[Callable[[int], None]]:
        # disable=None hides the bar when stderr is not a terminal (cron, CI, tests).
        with tqdm(total=total or None, unit="要素", file=sys.stderr, disable=None) as bar:
            yield bar.update

    def report(self, result: ImportResult, *, updated_label: str | None = None) -> None:
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        text = _("共 %(total)s 个要素，新增 %(created)s，%(label)s %(updated)s") % {
            "total": result.total,
            "created": result.created,
            "label": updated_label or _("更新"),
            "updated": result.updated,
        }
        if result.dry_run:
            text = _("试运行（未写入）：%(text)s") % {"text": text}
        self.stdout.write(self.style.SUCCESS(text))

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except ImportFailed as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(exc.message) from exc
        except DomainError as exc:
            raise CommandError(exc.message) from exc

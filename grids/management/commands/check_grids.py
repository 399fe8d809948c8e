"""check_grids: gaps, overlaps and grids outside their community, with areas in m²."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from grids.topology import DEFAULT_TOLERANCE_M2, grids_topology_check


class Command(BaseCommand):
    help = (
        "Check the topology of the grids in force: gaps and overlaps within each community and "
        "grids reaching outside it. Exits non-zero when anything is found."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--within", default="", help="District, street or community code.")
        parser.add_argument("--on", type=date.fromisoformat, help="Check the grids of this date.")
        parser.add_argument(
            "--tolerance-m2",
            type=float,
            default=DEFAULT_TOLERANCE_M2,
            help="Ignore slivers smaller than this many square metres.",
        )
        parser.add_argument("--geojson", help="Also write the findings as GeoJSON to this file.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = grids_topology_check(
            within=options["within"], on=options["on"], tolerance_m2=options["tolerance_m2"]
        )
        for issue in report.issues:
            self.stdout.write(f"[{issue.kind}] {issue.describe()}")
        if options["geojson"]:
            Path(options["geojson"]).write_text(
                json.dumps(report.as_geojson(), ensure_ascii=False), encoding="utf-8"
            )
        counts = {"c": report.communities, "g": report.grids, "n": len(report.issues)}
        if not report.ok:
            raise CommandError(_("检查 %(c)s 个社区的 %(g)s 个网格，发现 %(n)s 处问题。") % counts)
        self.stdout.write(
            self.style.SUCCESS(_("检查 %(c)s 个社区的 %(g)s 个网格，未发现问题。") % counts)
        )

"""open311_publish: publish categories as Open311 services with the standard questions."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from grids.models import Category
from open311.services import services_publish


class Command(BaseCommand):
    help = (
        "Publish active categories as Open311 services (urgency question; component identifier "
        "for component faults). Already published categories are left as they are."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=[k.value for k in Category.Kind], default="")
        parser.add_argument(
            "--codes", default="", help="Comma-separated 5-digit category codes (default: all)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        categories = Category.objects.active().order_by("kind", "code")
        if options["kind"]:
            categories = categories.filter(kind=options["kind"])
        codes = [c.strip() for c in options["codes"].split(",") if c.strip()]
        if codes:
            categories = categories.filter(code__in=codes)
        created = services_publish(categories=categories)
        self.stdout.write(_("已发布 %(n)d 项服务。") % {"n": len(created)})

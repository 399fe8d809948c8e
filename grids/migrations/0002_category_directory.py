"""Loads the GB/T 47678.5-2026 directory (153 component + 250 matter types)."""

from django.db import migrations


def load(apps, schema_editor):
    # The loader takes the historical model, so this migration keeps working as Category evolves.
    from grids.services.categories import load_directory_into

    load_directory_into(apps.get_model("grids", "Category"))


class Migration(migrations.Migration):
    dependencies = [("grids", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

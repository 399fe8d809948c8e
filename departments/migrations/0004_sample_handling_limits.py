"""Adds the sample handling limits of the domain reference once the category directory is
loaded (0003 may have run before it); existing rows are left as the city edited them."""

from django.db import migrations


def forwards(apps, schema_editor):
    from departments.seeding import load_time_limits

    load_time_limits(apps.get_model("departments", "TimeLimit"), apps.get_model("grids", "Category"))


class Migration(migrations.Migration):
    dependencies = [
        ("departments", "0003_roles_duty_hours_time_limits"),
        ("grids", "0002_category_directory"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

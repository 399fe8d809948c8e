"""Creates the role groups with their permissions, the default duty hours, and the default and
sample time limits (sample rows need the category directory; 0004 adds any missed here)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from departments.seeding import load_duty_hours, load_time_limits, sync_role_groups

    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_groups(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))
    load_duty_hours(apps.get_model("departments", "DutyPeriod"))
    load_time_limits(apps.get_model("departments", "TimeLimit"), apps.get_model("grids", "Category"))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("departments", "0002_people_rules_calendar_notices"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

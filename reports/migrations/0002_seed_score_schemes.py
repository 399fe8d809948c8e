"""Seed the composite-score schemes and grade bands (reports.seeding), editable in the admin."""

from django.db import migrations


def seed(apps, schema_editor):
    from reports.seeding import load_score_schemes

    load_score_schemes(
        apps.get_model("reports", "ScoreScheme"),
        apps.get_model("reports", "ScoreWeight"),
        apps.get_model("reports", "GradeBand"),
    )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_scores_exports")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

# Adds the pinyin search keys of the category directory and fills them for existing rows.

from django.db import migrations, models

from grids.models import category_search_keys


def fill_search_keys(apps, schema_editor):
    Category = apps.get_model("grids", "Category")
    rows = list(Category.objects.all())
    for row in rows:
        row.search_keys = category_search_keys(row.name)
    Category.objects.bulk_update(rows, ["search_keys"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0003_legacy_codes_serials_constraints"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="search_keys",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="Full pinyin and initials of the name, kept by save() and the loaders.",
                max_length=400,
                verbose_name="检索拼音",
            ),
        ),
        migrations.RunPython(fill_search_keys, migrations.RunPython.noop),
    ]

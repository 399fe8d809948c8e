# When a fact last changed in a way the reports count (the trigger that sets it is in reports'
# 0004), indexed so that the facts changed since a moment are read as one range. The index is
# built CONCURRENTLY: the column starts empty for every fact, so adding it is instant.

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('cases', '0007_fact_latest'),
        ('departments', '0004_sample_handling_limits'),
        ('grids', '0005_component_tile_clusters'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='casefact',
            name='changed_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='变更时间'),
        ),
        AddIndexConcurrently(
            model_name='casefact',
            index=models.Index(fields=['changed_at'], name='fact_changed'),
        ),
    ]

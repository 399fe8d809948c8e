# The days after a kept report prefix are read through the latest of each fact's timestamps,
# one range the planner estimates well, where the OR of nine per-date ranges led it to a
# department's whole history instead (bench/RESULTS.md, sixth round). Built CONCURRENTLY so a
# city's work goes on while it is created over millions of facts.

import django.db.models.functions.comparison
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('cases', '0006_case_open_urgent'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='casefact',
            index=models.Index(django.db.models.functions.comparison.Greatest('reported_at', 'verified_at', 'accepted_at', 'filed_at', 'dispatched_at', 'handling_deadline', 'handled_at', 'reinspected_at', 'closed_at'), name='fact_latest'),
        ),
    ]

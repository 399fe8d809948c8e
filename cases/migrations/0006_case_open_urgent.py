# The desk's queues and the dispatch map without a view read one step's open cases most urgent
# first (bench/RESULTS.md § Map). Built CONCURRENTLY so a city's filing goes on while it is
# created over millions of cases.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('cases', '0005_case_open_indexes'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ['accepted', 'awaiting_closing', 'awaiting_reinspection', 'awaiting_verification', 'filed', 'handled', 'handling', 'reported', 'self_handled', 'suspended'])), fields=['status', 'step_deadline', '-reported_at', '-id'], name='case_open_urgent'),
        ),
    ]

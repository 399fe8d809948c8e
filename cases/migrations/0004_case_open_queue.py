# The command centre's queue index (bench/RESULTS.md § Queue). Built CONCURRENTLY so a city's
# filing goes on while it is created over millions of cases.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('cases', '0003_case_fact'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ['accepted', 'awaiting_closing', 'awaiting_reinspection', 'awaiting_verification', 'filed', 'handled', 'handling', 'reported', 'self_handled', 'suspended'])), fields=['status', 'timer_colour', 'step_deadline'], include=('pending',), name='case_open_queue'),
        ),
    ]

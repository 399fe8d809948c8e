# The dispatch map's view reads the open cases in a box through case_open_location, and the
# API's queue (one step and light, newest first) reads its page through
# case_open_colour_reported (bench/RESULTS.md § Map, § Queue). Built CONCURRENTLY so a city's
# filing goes on while they are created over millions of cases. The location is given as an
# expression: for an index on one geometry field by name, Django's PostGIS schema editor writes
# its own CREATE INDEX and drops both the condition and CONCURRENTLY.

import django.contrib.postgres.indexes
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('cases', '0004_case_open_queue'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ['accepted', 'awaiting_closing', 'awaiting_reinspection', 'awaiting_verification', 'filed', 'handled', 'handling', 'reported', 'self_handled', 'suspended'])), fields=['status', 'timer_colour', '-reported_at', '-id'], name='case_open_colour_reported'),
        ),
        AddIndexConcurrently(
            model_name='case',
            index=django.contrib.postgres.indexes.GistIndex(models.F('location'), condition=models.Q(('status__in', ['accepted', 'awaiting_closing', 'awaiting_reinspection', 'awaiting_verification', 'filed', 'handled', 'handling', 'reported', 'self_handled', 'suspended'])), name='case_open_location'),
        ),
    ]

"""A generation number for the working-time configuration (duty hours, calendar days, time
limits and the categories they name), bumped by the database on every change to those tables,
however it is made. Each process holds the configuration it read and reads it again only when
the generation differs (departments.worktime).

The number comes from a sequence, so no value is ever given twice, even by a transaction that
rolls back: a process that read uncommitted configuration under a generation never finds that
generation again once the change is gone. The table has no model, so a test run's flush leaves
its row alone (and the flush's TRUNCATE of the watched tables bumps it)."""

from django.db import migrations

WATCHED = (
    "departments_dutyperiod",
    "departments_calendarday",
    "departments_timelimit",
    "grids_category",
)

FORWARDS = [
    "CREATE SEQUENCE departments_worktime_generation_seq",
    "CREATE TABLE departments_worktime_generation ("
    " id smallint PRIMARY KEY CHECK (id = 1),"
    " generation bigint NOT NULL)",
    "INSERT INTO departments_worktime_generation (id, generation)"
    " VALUES (1, nextval('departments_worktime_generation_seq'))",
    """
    CREATE FUNCTION departments_worktime_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO departments_worktime_generation (id, generation)
        VALUES (1, nextval('departments_worktime_generation_seq'))
        ON CONFLICT (id) DO UPDATE SET generation = EXCLUDED.generation;
        RETURN NULL;
    END
    $$
    """,
] + [
    f"CREATE TRIGGER {table}_worktime_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
    f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION departments_worktime_changed()"
    for table in WATCHED
]

BACKWARDS = [f"DROP TRIGGER IF EXISTS {table}_worktime_changed ON {table}" for table in WATCHED] + [
    "DROP FUNCTION IF EXISTS departments_worktime_changed()",
    "DROP TABLE IF EXISTS departments_worktime_generation",
    "DROP SEQUENCE IF EXISTS departments_worktime_generation_seq",
]


class Migration(migrations.Migration):
    dependencies = [
        ("departments", "0004_sample_handling_limits"),
        ("grids", "0002_category_directory"),
    ]

    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]

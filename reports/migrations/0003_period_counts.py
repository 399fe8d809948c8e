# The overview's trend keeps the counts of finished periods (reports.periodcounts). A statement
# trigger on the evaluation facts records, for every row a statement adds, changes or removes,
# the UTC day of each of its timestamps older than twelve hours; counts of a period are read
# again only while no change has been recorded on its days since they were counted.

from django.db import migrations, models

# Every timestamp of cases_casefact (tests/reports/test_period_counts.py checks the list).
STAMPS = (
    "reported_at",
    "verified_at",
    "accepted_at",
    "filed_at",
    "voided_at",
    "rejected_at",
    "dispatched_at",
    "handling_deadline",
    "handled_at",
    "reinspected_at",
    "closed_at",
)


def _record(rows: str, *aliases: str) -> str:
    """One INSERT of the days of every timestamp of ``rows``, whose row aliases are ``aliases``."""
    stamps = ", ".join(f"{a}.{c}" for a in aliases for c in STAMPS)
    return f"""
        INSERT INTO reports_factchange (day, changes)
        SELECT (s AT TIME ZONE 'UTC')::date, count(*)
          FROM {rows} CROSS JOIN LATERAL unnest(ARRAY[{stamps}]) s
         WHERE s < now() - interval '12 hours'
         GROUP BY 1;"""


TRIGGER_SQL = f"""
CREATE FUNCTION reports_fact_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN{_record("new_rows n", "n")}
    ELSIF TG_OP = 'DELETE' THEN{_record("old_rows o", "o")}
    ELSIF TG_OP = 'UPDATE' THEN{_record(
        "old_rows o JOIN new_rows n"
        " ON n.case_id = o.case_id AND to_jsonb(o) IS DISTINCT FROM to_jsonb(n)",
        "o",
        "n",
    )}
    ELSE
        DELETE FROM reports_periodcounts;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER reports_fact_inserted AFTER INSERT ON cases_casefact
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_fact_changed();
CREATE TRIGGER reports_fact_updated AFTER UPDATE ON cases_casefact
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_fact_changed();
CREATE TRIGGER reports_fact_deleted AFTER DELETE ON cases_casefact
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_fact_changed();
CREATE TRIGGER reports_fact_truncated AFTER TRUNCATE ON cases_casefact
    FOR EACH STATEMENT EXECUTE FUNCTION reports_fact_changed();
"""
REVERSE_SQL = """
DROP TRIGGER reports_fact_truncated ON cases_casefact;
DROP TRIGGER reports_fact_deleted ON cases_casefact;
DROP TRIGGER reports_fact_updated ON cases_casefact;
DROP TRIGGER reports_fact_inserted ON cases_casefact;
DROP FUNCTION reports_fact_changed();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0002_seed_score_schemes'),
        ('cases', '0003_case_fact'),
    ]

    operations = [
        migrations.CreateModel(
            name='FactChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(db_index=True, verbose_name='日期（UTC）')),
                ('changes', models.BigIntegerField(verbose_name='变更次数')),
            ],
            options={
                'verbose_name': '考核事实变更',
                'verbose_name_plural': '考核事实变更',
            },
        ),
        migrations.CreateModel(
            name='PeriodCounts',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.TextField(unique=True, verbose_name='键')),
                ('counts', models.JSONField(verbose_name='数量')),
                ('signature', models.BigIntegerField(verbose_name='变更标记')),
                ('computed_at', models.DateTimeField(auto_now=True, verbose_name='计算时间')),
            ],
            options={
                'verbose_name': '时段统计缓存',
                'verbose_name_plural': '时段统计缓存',
            },
        ),
        migrations.RunSQL(TRIGGER_SQL, REVERSE_SQL),
    ]

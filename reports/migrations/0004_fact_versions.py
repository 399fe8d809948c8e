# Rolling counts (reports.counting): a fact's changed_at moves with every change the reports
# could count, and the version it replaces is kept in reports_factversion, so that counts kept
# as of a moment can be brought up to now from the facts changed since and their versions
# before. Both triggers act whatever the writer (the ORM, a bulk UPDATE, psql).

import django.contrib.gis.db.models.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models



# Every column of cases_casefact (tests/reports/test_rolling_counts.py checks the list).
COLUMNS = (
    "case_id", "number", "status", "source", "category_id", "category_kind", "category_major",
    "category_code", "grid_id", "grid_code", "community_code", "street_code", "district_code",
    "lead_department_id", "location", "reporter_id", "grid_inspector_id", "verifier_id",
    "acceptor_id", "filer_id", "dispatcher_id", "reinspector_id", "closer_id", "reported_at",
    "verified_at", "verified_on_time", "accepted_at", "filed_at", "voided_at", "rejected_at",
    "dispatched_at", "handling_deadline", "handled_at", "handled_on_time", "reinspected_at",
    "reinspected_on_time", "closed_at", "outcome", "suspended", "rework_count",
    "extension_count", "sendback_count", "urge_count", "last_sequence", "changed_at",
)
# The fold's bookkeeping, which no report counts: a change to these alone (a timer event moves
# last_sequence only) leaves changed_at where it was and keeps no version.
UNCOUNTED = ("case_id", "last_sequence", "changed_at")
COUNTED = [c for c in COLUMNS if c not in UNCOUNTED]


def _row(alias: str) -> str:
    return "ROW(" + ", ".join(f"{alias}.{c}" for c in COUNTED) + ")"


TRIGGER_SQL = f"""
CREATE FUNCTION reports_fact_stamped() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.changed_at := now();
    ELSIF {_row("NEW")} IS DISTINCT FROM {_row("OLD")} THEN
        NEW.changed_at := now();
    ELSE
        NEW.changed_at := OLD.changed_at;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER reports_fact_stamped BEFORE INSERT OR UPDATE ON cases_casefact
    FOR EACH ROW EXECUTE FUNCTION reports_fact_stamped();

CREATE FUNCTION reports_fact_versioned() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The version a transaction replaces, once: a second change in the same transaction finds
    -- changed_at already at now().
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO reports_factversion (captured_at, {", ".join(COLUMNS)})
        SELECT now(), {", ".join(f"o.{c}" for c in COLUMNS)}
          FROM old_rows o JOIN new_rows n ON n.case_id = o.case_id
         WHERE n.changed_at IS DISTINCT FROM o.changed_at;
    ELSE
        INSERT INTO reports_factversion (captured_at, {", ".join(COLUMNS)})
        SELECT now(), {", ".join(f"o.{c}" for c in COLUMNS)} FROM old_rows o;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER reports_fact_versioned_update AFTER UPDATE ON cases_casefact
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_fact_versioned();
CREATE TRIGGER reports_fact_versioned_delete AFTER DELETE ON cases_casefact
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_fact_versioned();
"""
REVERSE_SQL = """
DROP TRIGGER reports_fact_versioned_delete ON cases_casefact;
DROP TRIGGER reports_fact_versioned_update ON cases_casefact;
DROP FUNCTION reports_fact_versioned();
DROP TRIGGER reports_fact_stamped ON cases_casefact;
DROP FUNCTION reports_fact_stamped();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0008_fact_changed_at'),
        ('departments', '0004_sample_handling_limits'),
        ('grids', '0005_component_tile_clusters'),
        ('reports', '0003_period_counts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='periodcounts',
            name='as_of',
            field=models.DateTimeField(blank=True, null=True, verbose_name='截至'),
        ),
        migrations.CreateModel(
            name='FactVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=16, verbose_name='案件编号')),
                ('status', models.CharField(max_length=24, verbose_name='状态')),
                ('source', models.CharField(max_length=16, verbose_name='来源')),
                ('category_kind', models.CharField(max_length=16, verbose_name='部件/事件')),
                ('category_major', models.CharField(max_length=2, verbose_name='大类编码')),
                ('category_code', models.CharField(max_length=5, verbose_name='小类编码')),
                ('grid_code', models.CharField(max_length=15, verbose_name='网格编码')),
                ('community_code', models.CharField(max_length=12, verbose_name='社区编码')),
                ('street_code', models.CharField(max_length=9, verbose_name='街道编码')),
                ('district_code', models.CharField(max_length=6, verbose_name='区编码')),
                ('reported_at', models.DateTimeField(verbose_name='上报时间')),
                ('verified_at', models.DateTimeField(blank=True, null=True, verbose_name='核实时间')),
                ('verified_on_time', models.BooleanField(blank=True, null=True, verbose_name='按时核实')),
                ('accepted_at', models.DateTimeField(blank=True, null=True, verbose_name='受理时间')),
                ('filed_at', models.DateTimeField(blank=True, null=True, verbose_name='立案时间')),
                ('voided_at', models.DateTimeField(blank=True, null=True, verbose_name='作废时间')),
                ('rejected_at', models.DateTimeField(blank=True, null=True, verbose_name='不予受理时间')),
                ('dispatched_at', models.DateTimeField(blank=True, help_text='The first dispatch.', null=True, verbose_name='派遣时间')),
                ('handling_deadline', models.DateTimeField(blank=True, null=True, verbose_name='处置时限')),
                ('handled_at', models.DateTimeField(blank=True, help_text='The last report back; emptied by a failed re-inspection (rework).', null=True, verbose_name='反馈时间')),
                ('handled_on_time', models.BooleanField(blank=True, null=True, verbose_name='按期处置')),
                ('reinspected_at', models.DateTimeField(blank=True, null=True, verbose_name='核查时间')),
                ('reinspected_on_time', models.BooleanField(blank=True, null=True, verbose_name='按时核查')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='结案时间')),
                ('outcome', models.CharField(blank=True, max_length=16, verbose_name='结案类型')),
                ('suspended', models.BooleanField(default=False, verbose_name='挂账中')),
                ('rework_count', models.PositiveIntegerField(default=0, verbose_name='返工次数')),
                ('extension_count', models.PositiveIntegerField(default=0, verbose_name='延期次数')),
                ('sendback_count', models.PositiveIntegerField(default=0, verbose_name='回退次数')),
                ('urge_count', models.PositiveIntegerField(default=0, verbose_name='督办次数')),
                ('last_sequence', models.PositiveIntegerField(default=0, verbose_name='已计入事件序号')),
                ('changed_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='变更时间')),
                ('captured_at', models.DateTimeField(verbose_name='被替换时间')),
                ('location', django.contrib.gis.db.models.fields.PointField(spatial_index=False, srid=4326, verbose_name='位置')),
                ('acceptor', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='受理员')),
                ('case', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='cases.case', verbose_name='案件')),
                ('category', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grids.category')),
                ('closer', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='结案值班长')),
                ('dispatcher', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='派遣员')),
                ('filer', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='立案值班长')),
                ('grid', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='grids.grid')),
                ('grid_inspector', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='网格监督员')),
                ('lead_department', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='departments.department', verbose_name='主办部门')),
                ('reinspector', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='核查人')),
                ('reporter', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上报人')),
                ('verifier', models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='核实人')),
            ],
            options={
                'verbose_name': '考核事实旧版本',
                'verbose_name_plural': '考核事实旧版本',
                'indexes': [models.Index(fields=['captured_at'], name='factversion_captured')],
            },
        ),
        migrations.RunSQL(TRIGGER_SQL, REVERSE_SQL),
    ]

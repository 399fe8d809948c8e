"""Score schemes (weights per rate and grade bands, edited in the admin), exported report files,
and supervisors' subscriptions to scheduled reports."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.facts import FactColumns
from reports.indices import RATES, PeriodKind


def export_path(instance: ReportExport, filename: str) -> str:
    return f"{settings.GRIDCITY_REPORTS_EXPORT_DIR}/{instance.owner_id}/{filename}"


RATE_CHOICES = [("volume", _("案件量得分")), *((r.key, r.label) for r in RATES)]


class ScoreScheme(models.Model):
    """How the composite score (综合指标值) of one kind of unit weights its rates."""

    class Target(models.TextChoices):
        DEPARTMENT = "department", _("部门")
        AREA = "area", _("区域")
        INSPECTOR = "inspector", _("监督员")
        ACCEPTOR = "acceptor", _("受理员")
        SHIFT_LEADER = "shift_leader", _("值班长")
        DISPATCHER = "dispatcher", _("派遣员")

    target = models.CharField(_("考核对象"), max_length=16, choices=Target.choices, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    sample_measure = models.CharField(
        _("样本数指标"),
        max_length=32,
        help_text=_("The count a unit needs at least GRIDCITY_REPORTS_MIN_SAMPLE of to be ranked."),
    )

    class Meta:
        verbose_name = _("综合评价方案")
        verbose_name_plural = _("综合评价方案")
        ordering = ["target"]

    def __str__(self) -> str:
        return self.name


class ScoreWeight(models.Model):
    """One rate's share of a scheme's score; inverted rates count as 100 − rate."""

    scheme = models.ForeignKey(ScoreScheme, on_delete=models.CASCADE, related_name="weights")
    rate = models.CharField(_("指标"), max_length=32, choices=RATE_CHOICES)
    weight = models.DecimalField(
        _("权重（%）"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    inverted = models.BooleanField(
        _("取反"), default=False, help_text=_("Scores 100 − rate (for rework, extension, miss).")
    )

    class Meta:
        verbose_name = _("指标权重")
        verbose_name_plural = _("指标权重")
        ordering = ["scheme", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "rate"], name="scoreweight_scheme_rate"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rate_display()} {self.weight}%"


class GradeBand(models.Model):
    """A grade and the lowest score that earns it (A ≥ 90, B ≥ 75 …)."""

    grade = models.CharField(_("等级"), max_length=1, unique=True)
    min_score = models.DecimalField(_("最低分"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("评价等级")
        verbose_name_plural = _("评价等级")
        ordering = ["-min_score"]

    def __str__(self) -> str:
        return f"{self.grade} ≥ {self.min_score}"


class ReportExport(models.Model):
    """One export of a report to a file, built by a worker; downloadable by its owner only."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel"
        PDF = "pdf", "PDF"

    class State(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_exports"
    )
    format = models.CharField(_("格式"), max_length=8, choices=Format.choices)
    params = models.JSONField(_("报表参数"), default=dict)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    file = models.FileField(_("文件"), upload_to=export_path, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报表导出")
        verbose_name_plural = _("报表导出")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="reportexport_progress_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.format} {self.state}"


class ReportSubscription(models.Model):
    """A supervisor's standing order for a weekly or monthly report."""

    class Frequency(models.TextChoices):
        WEEKLY = PeriodKind.WEEK, _("每周")
        MONTHLY = PeriodKind.MONTH, _("每月")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="report_subscriptions"
    )
    frequency = models.CharField(_("频率"), max_length=8, choices=Frequency.choices)
    dimension = models.CharField(_("维度"), max_length=16, default="department")
    format = models.CharField(
        _("格式"), max_length=8, choices=ReportExport.Format.choices, default="xlsx"
    )
    by_email = models.BooleanField(_("邮件附件"), default=True)
    by_notice = models.BooleanField(_("站内通知"), default=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("报表订阅")
        verbose_name_plural = _("报表订阅")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "frequency", "dimension"], name="reportsubscription_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.frequency} {self.dimension}"


class FactChange(models.Model):
    """A change to the evaluation facts of one past day (UTC), written by a trigger on
    cases_casefact for every timestamp the changed rows hold on that day (the migration that
    creates it holds the trigger; bench/RESULTS.md, fifth round). Rows are only ever added, so
    writers never wait on each other; compact_fact_changes folds each day into one row."""

    day = models.DateField(_("日期（UTC）"), db_index=True)
    changes = models.BigIntegerField(_("变更次数"))

    class Meta:
        verbose_name = _("考核事实变更")
        verbose_name_plural = _("考核事实变更")

    def __str__(self) -> str:
        return f"{self.day}: {self.changes}"


class FactVersion(FactColumns):
    """An evaluation fact as it was before a change (an update that moved its ``changed_at``,
    or its deletion), written by a trigger on cases_casefact (the migration that creates this
    table holds it): the counts kept as of a moment take these away for the facts that changed
    after it (reports.counting, "rolling counts"). Dropped after VERSIONS_KEPT_DAYS
    (reports.services)."""

    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("案件"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    captured_at = models.DateTimeField(_("被替换时间"))
    # Read by captured_at only: no index of their own, which every captured row would pay for.
    category = models.ForeignKey(
        "grids.Category",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    grid = models.ForeignKey(
        "grids.Grid",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    location = PointField(_("位置"), srid=4326, spatial_index=False)

    class Meta:
        verbose_name = _("考核事实旧版本")
        verbose_name_plural = _("考核事实旧版本")
        indexes = [models.Index(fields=["captured_at"], name="factversion_captured")]

    def __str__(self) -> str:
        return f"{self.number} @ {self.captured_at}"


class PeriodCounts(models.Model):
    """The counts of one period, for the facts one reader sees (the whole city, or a
    district's, a department's): a trend's measures, or a ranking's units (reports.counting).

    Of a finished period ("kept counts"), kept with the changes to the facts of its days they
    were counted after (``signature``: the sum of FactChange over those days), and read again
    only while that sum is unchanged. Of a period still running ("rolling counts", with
    ``as_of``), the counts of the facts unchanged since ``as_of``, to which a read adds what
    changed after it."""

    key = models.TextField(_("键"), unique=True)
    counts = models.JSONField(_("数量"))
    signature = models.BigIntegerField(_("变更标记"))
    as_of = models.DateTimeField(_("截至"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), auto_now=True)

    class Meta:
        verbose_name = _("时段统计缓存")
        verbose_name_plural = _("时段统计缓存")

    def __str__(self) -> str:
        return self.key

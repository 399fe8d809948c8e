"""Cases, their append-only event log and photos, the number counter, idempotency records and the
automation rules applied to new reports."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.indexes import GistIndex
from django.db.models import F, Q
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext_lazy as _

from cases.workflow import OPEN_STATUSES, Action, Pending, Source, Status, Step, SystemEvent

OPEN = [str(s) for s in sorted(OPEN_STATUSES)]


class Urgency(models.TextChoices):
    """Values equal departments' TimeLimit.Urgency."""

    URGENT = "urgent", _("紧急")
    NORMAL = "normal", _("一般")
    ENGINEERING = "engineering", _("工程类")


class TimerColour(models.TextChoices):
    NONE = "", _("不计时")
    GREEN = "green", _("绿灯")
    YELLOW = "yellow", _("黄灯")
    RED = "red", _("红灯")


class Outcome(models.TextChoices):
    NONE = "", _("未结案")
    ON_TIME = "on_time", _("正常")
    OVERDUE = "overdue", _("超时")
    ERRONEOUS = "erroneous", _("差错")
    SPECIAL = "special", _("特殊")


class BusinessType(models.TextChoices):
    NONE = "", _("未派遣")
    IMMEDIATE = "immediate", _("即办件")
    COMMITTED = "committed", _("承诺件")
    COORDINATED = "coordinated", _("协调件")


class CaseQuerySet(models.QuerySet):
    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN)

    def closed(self) -> CaseQuerySet:
        return self.filter(status=Status.CLOSED)

    def in_grid(self, grid: object) -> CaseQuerySet:
        return self.filter(grid=grid)

    def timer_due(self, *, now: datetime) -> CaseQuerySet:
        """Open cases whose traffic light may change now (served by a partial index)."""
        return self.open().filter(next_timer_change_at__lte=now)

    def overdue(self, *, now: datetime) -> CaseQuerySet:
        return self.open().filter(step_deadline__lt=now)


class Case(models.Model):
    """One problem in the city, from its report to its closing (七步闭环)."""

    number = models.CharField(
        _("案件编号"),
        max_length=16,
        unique=True,
        help_text=_("Year + serial of at least 6 digits, gap-free within the year."),
    )
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    category = models.ForeignKey(
        "grids.Category", verbose_name=_("类别"), on_delete=models.PROTECT, related_name="cases"
    )
    description = models.TextField(_("问题描述"), max_length=4000)
    location = models.PointField(_("位置"), srid=4326)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    grid = models.ForeignKey(
        "grids.Grid", verbose_name=_("网格"), on_delete=models.PROTECT, related_name="cases"
    )
    component = models.ForeignKey(
        "grids.Component",
        verbose_name=_("部件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上报人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reported_cases",
        help_text=_("The staff member who registered the report."),
    )
    reporter_name = models.CharField(
        _("举报人姓名"),
        max_length=100,
        blank=True,
        help_text=_("Public reporter; shown to the command centre only."),
    )
    reporter_phone = models.CharField(
        _("举报人电话"), max_length=40, blank=True, help_text=_("Shown to the command centre only.")
    )
    urgency = models.CharField(
        _("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(_("状态"), max_length=24, choices=Status.choices)
    pending = models.CharField(
        _("待审批申请"), max_length=16, choices=Pending.choices, default=Pending.NONE, blank=True
    )
    pending_data = models.JSONField(
        _("申请内容"), default=dict, blank=True, help_text=_("What the department asked for.")
    )
    lead_department = models.ForeignKey(
        "departments.Department",
        verbose_name=_("主办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_cases",
    )
    assisting_departments = models.ManyToManyField(
        "departments.Department",
        verbose_name=_("协办部门"),
        blank=True,
        related_name="assisted_cases",
    )
    suggested_department = models.ForeignKey(
        "departments.Department",
        verbose_name=_("建议责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="suggested_cases",
    )
    suggested_assisting_ids = models.JSONField(_("建议协办部门"), default=list, blank=True)
    suggestion_reason = models.CharField(_("建议理由"), max_length=300, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("疑似重复于"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="probable_duplicates",
    )
    duplicate_reason = models.CharField(_("疑似重复理由"), max_length=200, blank=True)
    # Timers. The current step's clock: started, deadline, whether in natural time, the time
    # the case was suspended within this step (excluded from the clock), and when the
    # traffic light may next change (read by the sweep through a partial index).
    step = models.CharField(_("当前环节"), max_length=16, choices=Step.choices, blank=True)
    step_started_at = models.DateTimeField(_("环节开始"), null=True, blank=True)
    step_deadline = models.DateTimeField(_("环节时限"), null=True, blank=True)
    step_natural = models.BooleanField(
        _("自然时间"), default=False, help_text=_("True when the limit runs in natural hours.")
    )
    step_suspended = models.DurationField(
        _("本环节挂账时长"),
        default=timedelta,
        help_text=_("Time suspended within the current step, in the step's clock."),
    )
    timer_colour = models.CharField(
        _("计时灯"), max_length=8, choices=TimerColour.choices, default=TimerColour.NONE, blank=True
    )
    escalated = models.BooleanField(_("已升级"), default=False)
    next_timer_change_at = models.DateTimeField(_("下次变色时间"), null=True, blank=True)
    handling_started_at = models.DateTimeField(_("处置开始"), null=True, blank=True)
    handling_deadline = models.DateTimeField(_("处置时限"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("挂账开始"), null=True, blank=True)
    suspended_total = models.DurationField(
        _("累计挂账时长"), default=timedelta, help_text=_("Working (or natural) time suspended.")
    )
    rework_count = models.PositiveIntegerField(_("返工次数"), default=0)
    extension_count = models.PositiveIntegerField(_("延期次数"), default=0)
    sendback_count = models.PositiveIntegerField(_("回退次数"), default=0)
    urge_count = models.PositiveIntegerField(_("督办次数"), default=0)
    urged = models.BooleanField(_("已督办"), default=False)
    business_type = models.CharField(
        _("业务类型"), max_length=16, choices=BusinessType.choices, default="", blank=True
    )
    outcome = models.CharField(
        _("结案类型"), max_length=16, choices=Outcome.choices, default="", blank=True
    )
    reported_at = models.DateTimeField(_("上报时间"))
    handled_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"))
    version = models.PositiveIntegerField(
        _("版本"), default=1, help_text=_("Raised by every action; clients may send it back.")
    )

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        ordering = ["-reported_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-reported_at"], name="case_status_reported"),
            models.Index(fields=["category", "-reported_at"], name="case_category_reported"),
            models.Index(fields=["lead_department", "status"], name="case_lead_status"),
            models.Index(fields=["grid", "status"], name="case_grid_status"),
            models.Index(
                fields=["next_timer_change_at"],
                name="case_timer_due_open",
                condition=Q(status__in=OPEN) & Q(next_timer_change_at__isnull=False),
            ),
            # The command centre's queues: counts per step and light, and each queue's page in
            # deadline order, read from the open cases only (bench/RESULTS.md § Queue).
            models.Index(
                fields=["status", "timer_colour", "step_deadline"],
                include=["pending"],
                name="case_open_queue",
                condition=Q(status__in=OPEN),
            ),
            # The desk's queues and the dispatch map without a view: one step's open cases,
            # most urgent first (urgent_first), read in order up to the page or the map's limit
            # instead of sorting the whole step (bench/RESULTS.md § Map).
            models.Index(
                fields=["status", "step_deadline", "-reported_at", "-id"],
                name="case_open_urgent",
                condition=Q(status__in=OPEN),
            ),
            # The API's queue: one step and light, newest first (its default order), without
            # walking the step's other lights (bench/RESULTS.md § Queue).
            models.Index(
                fields=["status", "timer_colour", "-reported_at", "-id"],
                name="case_open_colour_reported",
                condition=Q(status__in=OPEN),
            ),
            # The dispatch map's view: the open cases in a box, without reading the closed
            # ones around them (a dense view holds twenty closed cases for each open one).
            GistIndex(F("location"), name="case_open_location", condition=Q(status__in=OPEN)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{10,16}$"), name="case_number_format"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[str(s) for s in Status]), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome="") | Q(status=Status.CLOSED),
                name="case_outcome_only_when_closed",
            ),
            models.CheckConstraint(
                condition=Q(pending="") | Q(status=Status.HANDLING),
                name="case_pending_only_while_handling",
            ),
            models.CheckConstraint(
                condition=Q(suspended_at__isnull=True) | Q(status=Status.SUSPENDED),
                name="case_suspended_at_only_when_suspended",
            ),
            models.CheckConstraint(
                condition=Q(lead_department__isnull=False)
                | ~Q(status__in=[Status.HANDLING, Status.SUSPENDED, Status.HANDLED]),
                name="case_handling_has_lead_department",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CaseEvent(models.Model):
    """One entry of a case's history. Append-only: the database refuses UPDATE and DELETE."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField(_("序号"), help_text=_("1, 2, 3… within the case."))
    action = models.CharField(
        _("动作"), max_length=32, choices=Action.choices + SystemEvent.choices
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_events",
        help_text=_("Empty for the platform's own events."),
    )
    actor_role = models.CharField(
        _("操作角色"), max_length=24, help_text=_("A role name, or 'system'.")
    )
    from_status = models.CharField(_("原状态"), max_length=24, blank=True)
    to_status = models.CharField(_("新状态"), max_length=24)
    note = models.TextField(_("意见"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("案件事件")
        verbose_name_plural = _("案件事件")
        ordering = ["case", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["case", "sequence"], name="caseevent_case_sequence"),
        ]
        indexes = [models.Index(fields=["action", "created_at"], name="caseevent_action_time")]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.sequence} {self.action}"


class CasePhoto(models.Model):
    """A decoded, re-encoded (EXIF-free) photo of one step of a case."""

    class Stage(models.TextChoices):
        REPORT = "report", _("上报")
        VERIFICATION = "verification", _("核实")
        HANDLING_AFTER = "handling_after", _("处置后")
        REINSPECTION = "reinspection", _("核查")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="photos")
    event = models.ForeignKey(
        CaseEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="photos"
    )
    stage = models.CharField(_("环节"), max_length=16, choices=Stage.choices)
    image = models.ImageField(_("图片"), upload_to="cases/photos/%Y/%m/")
    thumbnail = models.ImageField(_("缩略图"), upload_to="cases/thumbs/%Y/%m/", blank=True)
    content_type = models.CharField(_("类型"), max_length=32)
    width = models.PositiveIntegerField(_("宽"))
    height = models.PositiveIntegerField(_("高"))
    sha256 = models.CharField(_("原文件摘要"), max_length=64)
    gps_location = models.PointField(
        _("拍摄位置"), srid=4326, null=True, blank=True, help_text=_("From the original's EXIF.")
    )
    distance_m = models.FloatField(
        _("距案件位置（米）"), null=True, blank=True, help_text=_("Empty without EXIF GPS.")
    )
    far_from_case = models.BooleanField(
        _("拍摄位置偏远"), default=False, help_text=_("EXIF position beyond the allowed distance.")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("上传时间"))

    class Meta:
        verbose_name = _("案件照片")
        verbose_name_plural = _("案件照片")
        ordering = ["case", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage} {self.pk}"

    def served(self, *, thumbnail: bool) -> tuple[FieldFile, str]:
        """The file to send and its content type: the thumbnail when asked for and made (always
        a JPEG, whatever the photo's own type), else the photo."""
        if thumbnail and self.thumbnail:
            return self.thumbnail, "image/jpeg"
        return self.image, self.content_type or "image/jpeg"


class CaseNumberCounter(models.Model):
    """The last serial given out in a year; locked by the report's own transaction so numbers
    are gap-free (a rolled-back report rolls its number back too)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("案件编号计数")
        verbose_name_plural = _("案件编号计数")

    def __str__(self) -> str:
        return f"{self.year}: {self.last_serial}"


class IdempotencyRecord(models.Model):
    """The first answer to a write request carrying an Idempotency-Key, replayed on retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("幂等键"), max_length=200)
    endpoint = models.CharField(_("接口"), max_length=200)
    request_hash = models.CharField(_("请求摘要"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("响应状态"), null=True)
    response_body = models.JSONField(_("响应内容"), null=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("幂等记录")
        verbose_name_plural = _("幂等记录")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class AutomationRule(models.Model):
    """Steps the platform takes by itself for new reports of a source and category."""

    source = models.CharField(
        _("来源"), max_length=16, choices=Source.choices, blank=True, help_text=_("Empty: any.")
    )
    category = models.ForeignKey(
        "grids.Category",
        verbose_name=_("类别"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: any category."),
    )
    auto_accept = models.BooleanField(_("自动受理"), default=False)
    auto_file = models.BooleanField(
        _("自动立案"), default=False, help_text=_("Only after an automatic acceptance.")
    )
    auto_dispatch = models.BooleanField(
        _("自动派遣"), default=False, help_text=_("To the suggested department, after filing.")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("自动处理规则")
        verbose_name_plural = _("自动处理规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(auto_file=False) | Q(auto_accept=True),
                name="automation_file_after_accept",
            ),
            models.CheckConstraint(
                condition=Q(auto_dispatch=False) | Q(auto_file=True),
                name="automation_dispatch_after_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source or '*'}/{self.category_id or '*'}"


from cases.facts import CaseFact  # noqa: E402, F401  (lives beside its fold: cases.facts)

"""Notices to people: the in-app inbox, delivery preferences, and one delivery row per channel."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class NoticeQuerySet(models.QuerySet):
    def unread(self) -> NoticeQuerySet:
        return self.filter(read_at__isnull=True)


class Notice(models.Model):
    """One message to one person, shown in the in-app inbox; the record of what the platform
    told them. Email and SMS copies are Delivery rows."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    kind = models.CharField(
        _("类型"), max_length=50, help_text=_("Machine-readable, e.g. case_dispatched.")
    )
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=500, blank=True)
    dedupe_key = models.CharField(
        _("去重键"),
        max_length=200,
        blank=True,
        help_text=_("The same key for the same person is stored once."),
    )
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="notice_recipient_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notice_dedupe_key_once_per_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.title}"


class NotificationPreference(models.Model):
    """Which channels a person receives notices on besides the in-app inbox, which is always on."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email = models.BooleanField(_("邮件"), default=True, help_text=_("To the account's email."))
    sms = models.BooleanField(
        _("短信"),
        default=False,
        help_text=_("Through the city's SMS gateway, to the person's phone."),
    )
    muted_kinds = models.JSONField(
        _("免打扰类型"),
        default=list,
        blank=True,
        help_text=_("Notice kinds sent to the inbox only, never by email or SMS."),
    )

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return str(self.user)


class Delivery(models.Model):
    """One copy of a notice on one outside channel. The row is locked while sending and marked
    sent afterwards, so a retried or re-delivered task never sends twice."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("邮件")
        SMS = "sms", _("短信")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    notice = models.ForeignKey(
        Notice, verbose_name=_("通知"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    address = models.CharField(
        _("地址"), max_length=254, help_text=_("The email address or phone number sent to.")
    )
    endpoint = models.CharField(
        _("网关地址"),
        max_length=500,
        blank=True,
        help_text=_("For SMS: the gateway webhook URL in force when the notice was queued."),
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知发送")
        verbose_name_plural = _("通知发送")
        constraints = [
            models.UniqueConstraint(fields=["notice", "channel"], name="delivery_once_per_channel"),
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.channel} {self.status}"

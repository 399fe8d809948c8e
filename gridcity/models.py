"""Platform-level records that belong to no domain app: the asynchronous pipeline's heartbeat."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """One trip through broker and worker, queued by beat each minute or by an operator."""

    class Source(models.TextChoices):
        BEAT = "beat", _("定时任务")
        REQUEST = "request", _("人工检查")

    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    request_id = models.CharField(
        _("请求编号"), max_length=64, blank=True, help_text=_("The HTTP request that queued it.")
    )
    queued_at = models.DateTimeField(_("排队时间"), auto_now_add=True)
    ran_at = models.DateTimeField(_("执行时间"), null=True, blank=True)
    worker = models.CharField(_("执行节点"), max_length=255, blank=True)
    worker_request_id = models.CharField(
        _("任务中的请求编号"),
        max_length=64,
        blank=True,
        help_text=_("The request id the worker saw: equal to request_id when tracing works."),
    )

    class Meta:
        verbose_name = _("心跳")
        verbose_name_plural = _("心跳")
        indexes = [models.Index(fields=["source", "-ran_at"], name="heartbeat_source_ran")]

    def __str__(self) -> str:
        return f"{self.source} {self.queued_at:%Y-%m-%d %H:%M:%S}"


class OutboxTask(models.Model):
    """A Celery task recorded in the same transaction as the write that calls for it.

    The broker is told after the commit; when it cannot be reached (Redis down, a deploy), the
    row stays unsent and the relay sends it once the broker is back. Tasks sent through the
    outbox are idempotent, so a task sent twice (published, then the mark lost) still has one
    effect.
    """

    task = models.CharField(_("任务"), max_length=200)
    kwargs = models.JSONField(_("参数"), default=dict)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("发送次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)

    class Meta:
        verbose_name = _("待发送任务")
        verbose_name_plural = _("待发送任务")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_unsent",
            ),
            models.Index(fields=["sent_at"], name="outbox_sent_at"),
        ]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"

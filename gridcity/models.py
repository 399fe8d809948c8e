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

"""Open311 GeoReport v2: the services the city publishes with their attributes, the client
applications that may post requests (hashed API keys), and what a posted request carried beyond
the case itself (token, client, contact fields, attribute answers)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

URGENCY_KEYS = ("urgent", "normal", "engineering")  # cases.models.Urgency values


class ServiceQuerySet(models.QuerySet):
    def published(self) -> ServiceQuerySet:
        return self.filter(is_published=True)


class Service(models.Model):
    """A matter or component-fault category the city offers to Open311 clients."""

    code = models.CharField(
        _("服务编码"),
        max_length=32,
        unique=True,
        help_text=_("The service_code clients send, e.g. M06010 (matter) or C01001 (component)."),
    )
    category = models.OneToOneField(
        "grids.Category",
        verbose_name=_("类别"),
        on_delete=models.PROTECT,
        related_name="open311_service",
    )
    name = models.CharField(
        _("服务名称"), max_length=100, blank=True, help_text=_("Empty: the category's name.")
    )
    group = models.CharField(_("分组"), max_length=100, blank=True)
    keywords = models.CharField(
        _("关键词"), max_length=300, blank=True, help_text=_("Comma-separated, for search.")
    )
    description = models.TextField(_("说明"), blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)
    is_published = models.BooleanField(_("已发布"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("Open311 服务")
        verbose_name_plural = _("Open311 服务")
        ordering = ["order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Za-z0-9_.-]+$"), name="open311_service_code_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    @property
    def display_name(self) -> str:
        return self.name or self.category.name


class Attribute(models.Model):
    """One question of a service definition; some answers set fields of the case."""

    class Datatype(models.TextChoices):
        STRING = "string", _("短文本")
        NUMBER = "number", _("数字")
        DATETIME = "datetime", _("日期时间")
        TEXT = "text", _("长文本")
        SINGLEVALUELIST = "singlevaluelist", _("单选")
        MULTIVALUELIST = "multivaluelist", _("多选")

    class Target(models.TextChoices):
        NONE = "", _("仅记录")
        URGENCY = "urgency", _("紧急程度")
        COMPONENT = "component", _("部件标识码")

    service = models.ForeignKey(
        Service, verbose_name=_("服务"), on_delete=models.CASCADE, related_name="attributes"
    )
    code = models.CharField(_("编码"), max_length=50)
    datatype = models.CharField(_("数据类型"), max_length=16, choices=Datatype.choices)
    required = models.BooleanField(_("必填"), default=False)
    variable = models.BooleanField(
        _("需要回答"), default=True, help_text=_("False: an informational line only.")
    )
    description = models.CharField(_("问题"), max_length=300)
    datatype_description = models.CharField(_("填写说明"), max_length=300, blank=True)
    order = models.PositiveIntegerField(_("排序"), default=0)
    values = models.JSONField(
        _("选项"),
        default=list,
        blank=True,
        help_text=_('List options as [{"key": "k", "name": "名称"}], for the list datatypes.'),
    )
    target = models.CharField(
        _("写入字段"),
        max_length=16,
        choices=Target.choices,
        default=Target.NONE,
        blank=True,
        help_text=_("Urgency answers must use the keys urgent, normal, engineering."),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("Open311 服务属性")
        verbose_name_plural = _("Open311 服务属性")
        ordering = ["service", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="open311_attribute_code"),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Za-z0-9_.-]+$"), name="open311_attribute_code_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.code}/{self.code}"

    def clean(self) -> None:
        lists = {self.Datatype.SINGLEVALUELIST, self.Datatype.MULTIVALUELIST}
        shaped = isinstance(self.values, list) and all(
            isinstance(item, dict) and item.get("key") and item.get("name") for item in self.values
        )
        if not shaped:
            raise ValidationError({"values": _('选项应为 [{"key": …, "name": …}] 的列表。')})
        if self.datatype in lists and not self.values:
            raise ValidationError({"values": _("单选和多选属性需要选项。")})
        if self.datatype not in lists and self.values:
            raise ValidationError({"values": _("只有单选和多选属性可以有选项。")})
        if self.target == self.Target.URGENCY and not self.value_keys <= set(URGENCY_KEYS):
            raise ValidationError(
                {"values": _("紧急程度的选项键只能是 %(k)s。") % {"k": ", ".join(URGENCY_KEYS)}}
            )

    @property
    def value_keys(self) -> set[str]:
        return {str(item.get("key")) for item in self.values if isinstance(item, dict)}


class ClientQuerySet(models.QuerySet):
    def usable(self) -> ClientQuerySet:
        return self.filter(revoked_at__isnull=True)


class Client(models.Model):
    """A client application allowed to post requests. Only a digest of its key is stored."""

    name = models.CharField(_("应用名称"), max_length=100)
    contact = models.CharField(_("联系人"), max_length=200, blank=True)
    key_prefix = models.CharField(
        _("密钥前缀"),
        max_length=12,
        unique=True,
        editable=False,
        help_text=_("The key's first characters, to recognise it in logs."),
    )
    key_digest = models.CharField(_("密钥摘要"), max_length=64, unique=True, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记账号"),
        on_delete=models.PROTECT,
        related_name="open311_clients",
        help_text=_("Reports are registered under this account; it must hold the acceptor role."),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True, editable=False)

    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("Open311 客户端")
        verbose_name_plural = _("Open311 客户端")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class Request(models.Model):
    """What an Open311 client posted with a case: never shown by the public endpoints."""

    case = models.OneToOneField(
        "cases.Case", verbose_name=_("案件"), on_delete=models.PROTECT, related_name="open311"
    )
    client = models.ForeignKey(
        Client, verbose_name=_("客户端"), on_delete=models.PROTECT, related_name="requests"
    )
    service = models.ForeignKey(
        Service, verbose_name=_("服务"), on_delete=models.PROTECT, related_name="requests"
    )
    token = models.CharField(_("令牌"), max_length=40, unique=True)
    first_name = models.CharField(_("名"), max_length=100, blank=True)
    last_name = models.CharField(_("姓"), max_length=100, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    device_id = models.CharField(_("设备标识"), max_length=200, blank=True)
    account_id = models.CharField(_("客户端账号"), max_length=200, blank=True)
    address_string = models.CharField(_("提交地址"), max_length=200, blank=True)
    media_url = models.URLField(
        _("外部媒体链接"), max_length=500, blank=True, help_text=_("As sent; never fetched.")
    )
    attributes = models.JSONField(_("属性回答"), default=dict, blank=True)
    created_at = models.DateTimeField(_("提交时间"))

    class Meta:
        verbose_name = _("Open311 请求")
        verbose_name_plural = _("Open311 请求")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.token}"

"""Departments, people and their roles, patrol areas, responsibility rules and working time."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A unit that takes part in the loop: the command centre, a professional department, or a
    street office (the territorial fallback, 属地兜底)."""

    class Kind(models.TextChoices):
        COMMAND_CENTRE = "command_centre", _("指挥中心")
        SUPERVISION_CENTRE = "supervision_centre", _("监督中心")
        PROFESSIONAL = "professional", _("专业部门")
        STREET_OFFICE = "street_office", _("街道办事处")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        unique=True,
        help_text=_("18 characters; components name their units by this code."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    area = models.ForeignKey(
        "grids.Area",
        verbose_name=_("辖区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="departments",
        help_text=_("For a street office: the street it answers for."),
    )
    phone = models.CharField(_("电话"), max_length=40, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_code__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
                name="department_credit_code_format",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A user's place in the organisation: the department they work for. Roles are groups."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="person",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("所属部门"), on_delete=models.PROTECT, related_name="people"
    )
    phone = models.CharField(_("手机"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.department})"

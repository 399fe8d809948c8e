"""Responsibility rules: which department answers for which category in which area."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ResponsibilityRuleQuerySet(models.QuerySet):
    def active(self) -> ResponsibilityRuleQuerySet:
        return self.filter(is_active=True)

    def in_order(self) -> ResponsibilityRuleQuerySet:
        """The order rules are tried in: lowest priority number first, then oldest."""
        return self.order_by("priority", "pk")


class ResponsibilityRule(models.Model):
    """One line of the city's responsibility table (责任划分). Rules are tried by priority; the
    first whose every non-empty condition matches names the lead department. When none matches,
    the street office of the grid's street answers (属地兜底)."""

    class UnitRole(models.TextChoices):
        ANY = "any", _("权属或养护单位")
        OWNER = "owner", _("权属单位")
        MAINTENANCE = "maintenance", _("养护单位")

    priority = models.PositiveIntegerField(
        _("优先级"), help_text=_("Lower numbers are tried first; ties go to the older rule.")
    )
    name = models.CharField(_("说明"), max_length=200, blank=True)
    kind = models.CharField(
        _("类别"),
        max_length=16,
        choices=[("component", _("部件")), ("matter", _("事件"))],
        blank=True,
        help_text=_("Component or matter; empty matches both."),
    )
    category_code = models.CharField(
        _("类别编码"),
        max_length=5,
        blank=True,
        help_text=_("2 digits match a major class, 5 digits one minor class; empty matches all."),
    )
    area_code = models.CharField(
        _("区域编码"),
        max_length=15,
        blank=True,
        help_text=_(
            "District (6 digits), street (9), community (12) or grid code (14/15): matches grids "
            "whose code starts with it; empty matches the whole city."
        ),
    )
    unit_code = models.CharField(
        _("单位代码"),
        max_length=18,
        blank=True,
        help_text=_(
            "A component's owner or maintenance unit credit code; empty matches any. "
            "A rule with a unit code never matches a case without a component."
        ),
    )
    unit_role = models.CharField(
        _("单位角色"),
        max_length=16,
        choices=UnitRole.choices,
        default=UnitRole.ANY,
        help_text=_("Which of the component's units the unit code is compared with."),
    )
    lead = models.ForeignKey(
        "departments.Department",
        verbose_name=_("主办部门"),
        on_delete=models.PROTECT,
        related_name="lead_rules",
    )
    assisting = models.ManyToManyField(
        "departments.Department",
        verbose_name=_("协办部门"),
        blank=True,
        related_name="assisting_rules",
    )
    is_active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ResponsibilityRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("责任规则")
        verbose_name_plural = _("责任规则")
        ordering = ["priority", "pk"]
        indexes = [models.Index(fields=["is_active", "priority"], name="rule_active_priority")]
        constraints = [
            models.CheckConstraint(
                condition=Q(category_code="") | Q(category_code__regex=r"^([0-9]{2}|[0-9]{5})$"),
                name="rule_category_code_2_or_5_digits",
            ),
            models.CheckConstraint(
                condition=Q(area_code="")
                | Q(area_code__regex=r"^([0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{14}|[0-9]{15})$"),
                name="rule_area_code_length",
            ),
            models.CheckConstraint(
                condition=Q(unit_code="") | Q(unit_code__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
                name="rule_unit_code_format",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["", "component", "matter"]), name="rule_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name or self.conditions_text()}"

    def clean(self) -> None:
        """Checks the codes against the directory, the city model and GB 32100."""
        from django.core.exceptions import ValidationError

        from departments.codes import credit_code_problem
        from grids.models import Area, Category, Grid

        errors: dict[str, str] = {}
        if self.category_code:
            categories = Category.objects.all()
            if self.kind:
                categories = categories.filter(kind=self.kind)
            field = "code" if len(self.category_code) == 5 else "major_code"
            if not categories.filter(**{field: self.category_code}).exists():
                errors["category_code"] = _("类别编码 %(code)s 不在部件事件目录中。") % {
                    "code": self.category_code
                }
        if self.area_code:
            exists = (
                Grid.objects.filter(code=self.area_code).exists()
                if len(self.area_code) >= 14
                else Area.objects.filter(code=self.area_code).exists()
            )
            if not exists:
                errors["area_code"] = _("区域编码 %(code)s 不是已登记的区域或网格。") % {
                    "code": self.area_code
                }
        if self.unit_code:
            problem = credit_code_problem(self.unit_code)
            if problem:
                errors["unit_code"] = problem
        if self.lead_id and not self.lead.is_active:
            errors["lead"] = _("主办部门“%(name)s”已停用。") % {"name": self.lead.name}
        if errors:
            raise ValidationError(errors)

    def conditions_text(self) -> str:
        """The rule's conditions in words, e.g. "事件 06 · 370202001"."""
        parts = [
            dict(self._meta.get_field("kind").flatchoices).get(self.kind, "") if self.kind else "",
            self.category_code,
            self.area_code,
            self.unit_code,
        ]
        return " · ".join(str(p) for p in parts if p) or str(_("全部"))

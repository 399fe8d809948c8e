"""The organisation: departments, the people who work in them, and inspectors' patrol areas."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from departments.codes import validate_credit_code


class DepartmentQuerySet(models.QuerySet):
    def active(self) -> DepartmentQuerySet:
        return self.filter(is_active=True)

    def street_offices(self) -> DepartmentQuerySet:
        return self.filter(kind=Department.Kind.STREET_OFFICE)


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
        validators=[validate_credit_code],
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

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_code__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
                name="department_credit_code_format",
            ),
            # One active street office per street, so the territorial fallback is never ambiguous.
            models.UniqueConstraint(
                fields=["area"],
                condition=Q(kind="street_office", is_active=True),
                name="department_one_active_street_office_per_area",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A street office answers for one street; the parent chain has no loops."""
        from django.core.exceptions import ValidationError

        errors: dict[str, str] = {}
        if self.kind == self.Kind.STREET_OFFICE and (
            self.area_id is None or self.area.level != "street"
        ):
            errors["area"] = _("街道办事处必须指定其所辖街道。")
        ancestor, seen = self.parent, {self.pk}
        while ancestor is not None:
            if ancestor.pk in seen:
                errors["parent"] = _("上级部门不能形成循环。")
                break
            seen.add(ancestor.pk)
            ancestor = ancestor.parent
        if errors:
            raise ValidationError(errors)


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
    supervised_areas = models.ManyToManyField(
        "grids.Area",
        verbose_name=_("监督范围"),
        blank=True,
        related_name="supervisors",
        help_text=_(
            "For supervisors: the districts, streets or communities they oversee; "
            "empty means the whole city."
        ),
    )

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.department})"


class PatrolAssignmentQuerySet(models.QuerySet):
    def on(self, day: date) -> PatrolAssignmentQuerySet:
        """Assignments in force on a day (valid_to is the first day no longer covered)."""
        return self.filter(valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=day)
        )

    def open(self) -> PatrolAssignmentQuerySet:
        return self.filter(valid_to__isnull=True)


class PatrolAssignment(models.Model):
    """An inspector's patrol of one grid over a span of days; ended, never deleted, so reports
    can ask who patrolled a grid on a given day."""

    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("监督员"),
        on_delete=models.PROTECT,
        related_name="patrol_assignments",
    )
    grid = models.ForeignKey(
        "grids.Grid",
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        related_name="patrol_assignments",
    )
    valid_from = models.DateField(_("开始日期"))
    valid_to = models.DateField(
        _("结束日期"),
        null=True,
        blank=True,
        help_text=_("The first day the inspector no longer patrols the grid; empty while current."),
    )

    objects = PatrolAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("巡查责任网格")
        verbose_name_plural = _("巡查责任网格")
        ordering = ["grid", "valid_from"]
        indexes = [
            models.Index(fields=["grid", "valid_from"], name="patrol_grid_from"),
            models.Index(fields=["inspector", "valid_from"], name="patrol_inspector_from"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=models.F("valid_from")),
                name="patrol_valid_to_after_valid_from",
            ),
            models.UniqueConstraint(
                fields=["inspector", "grid"],
                condition=Q(valid_to__isnull=True),
                name="patrol_one_open_assignment_per_inspector_grid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspector} · {self.grid} ({self.valid_from} – {self.valid_to or '…'})"

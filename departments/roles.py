"""The roles people hold: each is a Django group of the same name; a person may hold several."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INSPECTOR = "inspector", _("监督员")
    ACCEPTOR = "acceptor", _("受理员")
    SHIFT_LEADER = "shift_leader", _("值班长")
    DISPATCHER = "dispatcher", _("派遣员")
    HANDLER = "handler", _("部门处置人员")
    DEPARTMENT_LEAD = "department_lead", _("部门负责人")
    SUPERVISOR = "supervisor", _("监督考核人员")
    ADMINISTRATOR = "administrator", _("系统管理员")


COMMAND_CENTRE_ROLES = frozenset({Role.ACCEPTOR, Role.SHIFT_LEADER, Role.DISPATCHER})

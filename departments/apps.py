from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DepartmentsConfig(AppConfig):
    name = "departments"
    verbose_name = _("部门、人员与工作时间")
    default_auto_field = "django.db.models.BigAutoField"

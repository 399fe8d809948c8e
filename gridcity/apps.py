from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridCityConfig(AppConfig):
    name = "gridcity"
    verbose_name = _("平台")
    default_auto_field = "django.db.models.BigAutoField"

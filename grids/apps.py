from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridsConfig(AppConfig):
    name = "grids"
    verbose_name = _("城市网格与部件")
    default_auto_field = "django.db.models.BigAutoField"

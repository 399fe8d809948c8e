from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridCityConfig(AppConfig):
    name = "gridcity"
    verbose_name = _("平台")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from gridcity.api import api_login_lockout

        user_locked_out.connect(api_login_lockout, dispatch_uid="gridcity.api_login_lockout")

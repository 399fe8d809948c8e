from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = _("案件")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from cases.routing_items import open_case_routing_items
        from departments.routing import routing_item_source_register

        # The rules' dry run in the departments app shows which open cases would move.
        routing_item_source_register(open_case_routing_items)

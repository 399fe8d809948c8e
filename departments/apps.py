from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DepartmentsConfig(AppConfig):
    name = "departments"
    verbose_name = _("部门、人员与工作时间")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_sync_role_groups, dispatch_uid="departments.sync_role_groups")


def _sync_role_groups(sender: AppConfig, **kwargs: Any) -> None:
    """Keeps the role groups and their permissions complete, the way Django keeps permissions:
    after `migrate` (apps migrated after 0003 add permissions later) and after a test flush.
    It runs once, on the signal of the last app, when every app's permissions exist."""
    # Django sends the signal only for apps that have a models module.
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if sender is not with_models[-1]:
        return
    from django.contrib.auth.models import Group, Permission

    from departments.seeding import sync_role_groups

    sync_role_groups(Group, Permission)

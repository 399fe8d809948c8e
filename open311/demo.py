"""The demo city's Open311 side: every active category published as a service, and one client
application whose key is printed once, when it is created. Safe to run again."""

from __future__ import annotations

from typing import TextIO

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from departments.models import Department
from departments.roles import Role
from departments.services import person_set, roles_set
from grids.models import Category
from open311.models import Client, Service
from open311.services import client_create, services_publish

CLIENT_NAME = "演示市民应用"
CLIENT_ACCOUNT = "open311-demo-app"


@transaction.atomic
def seed(*, scale: float = 1.0, stdout: TextIO) -> str:
    published = services_publish(categories=Category.objects.active().order_by("kind", "code"))
    if Client.objects.filter(name=CLIENT_NAME).exists():
        return _("%(n)d 项服务（新发布 %(new)d 项），演示客户端已存在") % {
            "n": Service.objects.count(),
            "new": len(published),
        }
    centre = Department.objects.filter(kind=Department.Kind.COMMAND_CENTRE).order_by("pk").first()
    if centre is None:
        return _("没有指挥中心，未创建演示客户端")
    account, _created = get_user_model().objects.get_or_create(username=CLIENT_ACCOUNT)
    # The account registers the app's reports; nobody logs in with it.
    account.set_unusable_password()
    account.save(update_fields=["password"])
    person_set(user=account, department=centre)
    roles_set(actor=None, user=account, roles=[Role.ACCEPTOR])
    _client, key = client_create(name=CLIENT_NAME, account=account)
    stdout.write(
        _("Open311 演示客户端“%(name)s”的 api_key（只显示这一次）：%(key)s\n")
        % {
            "name": CLIENT_NAME,
            "key": key,
        }
    )
    return _("%(n)d 项服务，演示客户端已创建") % {"n": Service.objects.count()}

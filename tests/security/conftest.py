"""Fixtures of the security tests: a small world with one person per role and the objects that
routes take as arguments."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AbstractBaseUser

from cases.models import CasePhoto
from cases.workflow import Status
from departments.models import Notice
from departments.roles import Role
from departments.services import role_grant
from gridcity.models import Heartbeat
from tests.factories.cases import World, build_world, case_in_state

ANONYMOUS = "anonymous"
ROLES = (
    ANONYMOUS,
    "inspector",
    "acceptor",
    "shift_leader",
    "dispatcher",
    "handler",
    "department_lead",
    "supervisor",
    "administrator",
)


@dataclass
class Sample:
    """The small world's objects that routes take as arguments."""

    world: World
    case: int  # filed, in the command centre's hands, in the inspector's grid
    task: int  # a public report the inspector must verify
    handling: int  # handled by the sanitation department
    photo: int
    handling_photo: int
    notice: int
    heartbeat: int
    users: dict[str, AbstractBaseUser | None]


@pytest.fixture
def sample(db: None) -> Sample:
    world = build_world()
    role_grant(actor=None, user=world.administrator, role=Role.ADMINISTRATOR)  # staff too
    filed = case_in_state(world, Status.FILED)
    task = case_in_state(world, Status.AWAITING_VERIFICATION)
    handling = case_in_state(world, Status.HANDLING)
    photo = CasePhoto.objects.filter(case=filed).first()
    handling_photo = CasePhoto.objects.filter(case=handling).first()
    notice = Notice.objects.create(recipient=world.dispatcher, kind="test", title="t", body="b")
    beat = Heartbeat.objects.create(source=Heartbeat.Source.REQUEST)
    users: dict[str, AbstractBaseUser | None] = {ANONYMOUS: None}
    users.update({role: world.people[role] for role in ROLES if role != ANONYMOUS})
    return Sample(
        world=world,
        case=filed.pk,
        task=task.pk,
        handling=handling.pk,
        photo=photo.pk,
        handling_photo=handling_photo.pk,
        notice=notice.pk,
        heartbeat=beat.pk,
        users=users,
    )

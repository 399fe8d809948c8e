"""Factories of the cases app: a small world (grids, departments, one person per role), real
JPEG photos (optionally with EXIF GPS), and cases brought to any status through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from io import BytesIO
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import MultiPolygon, Polygon
from PIL import Image

from cases import clock, services
from cases.models import Case
from cases.workflow import Pending, Source, Status
from departments.models import Department
from departments.roles import Role
from departments.services import patrol_assign
from gridcity.geo import make_point
from grids.models import Area, Category, Grid
from tests.factories.departments import DepartmentFactory, person_with_roles

DISTRICT, STREET, COMMUNITY = "370202", "370202001", "370202001001"
ORIGIN = (120.380, 36.060)  # south-west corner of the first grid
SIZE = 0.002  # about 180 m × 220 m per grid


def _square(lon: float, lat: float) -> MultiPolygon:
    ring = ((lon, lat), (lon + SIZE, lat), (lon + SIZE, lat + SIZE), (lon, lat + SIZE), (lon, lat))
    return MultiPolygon(Polygon(ring), srid=4326)


def category_get_or_make(kind: str, code: str, name: str) -> Category:
    row, _ = Category.objects.get_or_create(
        kind=kind,
        code=code,
        defaults={
            "name": name,
            "major_code": code[:2],
            "major_name": name,
            "edition": "GB/T 47678.5-2026",
        },
    )
    return row


def jpeg_bytes(
    *,
    size: tuple[int, int] = (64, 48),
    colour: tuple[int, int, int] = (90, 140, 60),
    gps: tuple[float, float] | None = None,
) -> bytes:
    """A real JPEG; with ``gps=(lon, lat)`` it carries an EXIF GPS block (and a camera model)."""
    img = Image.new("RGB", size, colour)
    out = BytesIO()
    exif = Image.Exif()
    exif[0x0110] = "TestCam 1"  # Model, to prove metadata is stripped
    if gps is not None:
        lon, lat = gps

        def dms(value: float) -> tuple[float, float, float]:
            value = abs(value)
            degrees = int(value)
            minutes = int((value - degrees) * 60)
            seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
            return (float(degrees), float(minutes), seconds)

        exif[0x8825] = {
            1: "N" if lat >= 0 else "S",
            2: dms(lat),
            3: "E" if lon >= 0 else "W",
            4: dms(lon),
        }
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


@dataclass
class World:
    """Two grids of one community, a street office (the territorial fallback), a professional
    department, and one person for each role."""

    grids: list[Grid]
    matter: Category
    component_category: Category
    street_office: Department
    sanitation: Department
    centre: Department
    people: dict[str, AbstractBaseUser] = field(default_factory=dict)

    def __getattr__(self, role: str) -> AbstractBaseUser:
        try:
            return self.__dict__["people"][role]
        except KeyError as exc:
            raise AttributeError(role) from exc

    def point(self, *, grid: int = 0, dx: float = 0.5, dy: float = 0.5):
        lon = ORIGIN[0] + grid * SIZE + dx * SIZE
        return make_point(lon=lon, lat=ORIGIN[1] + dy * SIZE)


def build_world(*, suffix: str = "") -> World:
    district, _ = Area.objects.get_or_create(
        code=DISTRICT, defaults={"level": "district", "name": "市南区"}
    )
    street, _ = Area.objects.get_or_create(
        code=STREET, defaults={"level": "street", "name": "八大关街道", "parent": district}
    )
    community, _ = Area.objects.get_or_create(
        code=COMMUNITY, defaults={"level": "community", "name": "太平角社区", "parent": street}
    )
    grids = []
    for index in range(2):
        grid, _ = Grid.objects.get_or_create(
            code=f"{COMMUNITY}{index + 1:03d}",
            valid_to=None,
            defaults={
                "community": community,
                "boundary": _square(ORIGIN[0] + index * SIZE, ORIGIN[1]),
                "area_m2": 40_000.0,
                "valid_from": date(2020, 1, 1),
            },
        )
        grids.append(grid)
    street_office = DepartmentFactory(
        name=f"八大关街道办事处{suffix}", kind=Department.Kind.STREET_OFFICE, area=street
    )
    world = World(
        grids=grids,
        matter=category_get_or_make("matter", "06010", "暴露垃圾"),
        component_category=category_get_or_make("component", "01001", "上水井盖"),
        street_office=street_office,
        sanitation=DepartmentFactory(name=f"市南区环卫所{suffix}"),
        centre=DepartmentFactory(name=f"指挥中心{suffix}", kind=Department.Kind.COMMAND_CENTRE),
    )
    for role in (Role.ACCEPTOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.SUPERVISOR):
        world.people[role.value] = person_with_roles(role, department=world.centre)
    world.people["administrator"] = person_with_roles(Role.ADMINISTRATOR, department=world.centre)
    world.people["inspector"] = person_with_roles(Role.INSPECTOR, department=world.centre)
    world.people["other_inspector"] = person_with_roles(Role.INSPECTOR, department=world.centre)
    world.people["handler"] = person_with_roles(Role.HANDLER, department=world.sanitation)
    world.people["department_lead"] = person_with_roles(
        Role.DEPARTMENT_LEAD, department=world.sanitation
    )
    world.people["street_handler"] = person_with_roles(Role.HANDLER, department=street_office)
    patrol_assign(
        actor=world.administrator,
        inspector=world.inspector,
        grids=[grids[0]],
        valid_from=date(2020, 1, 1),
    )
    patrol_assign(
        actor=world.administrator,
        inspector=world.other_inspector,
        grids=[grids[1]],
        valid_from=date(2020, 1, 1),
    )
    return world


def report_case(world: World, **overrides: Any) -> Case:
    """An inspector's report in the first grid (photos included), unless overridden."""
    source = overrides.pop("source", Source.INSPECTOR)
    kwargs: dict[str, Any] = {
        "actor": world.inspector if source == Source.INSPECTOR else world.acceptor,
        "source": source,
        "category": world.matter,
        "description": "路边暴露垃圾一堆",
        "location": world.point(),
        "address": "太平角一路 1 号",
        "photos": [jpeg_bytes()],
    }
    kwargs.update(overrides)
    return services.case_report(**kwargs)


def case_in_state(world: World, status: Status | str, pending: Pending | str = "") -> Case:
    """A case brought to ``status`` (and ``pending``) by the real services, step by step."""
    status, pending = Status(status), Pending(pending)
    w = world
    if status == Status.AWAITING_VERIFICATION:
        return report_case(
            w, source=Source.PUBLIC, photos=[], reporter_name="王先生", reporter_phone="13800000000"
        )
    case = report_case(w)
    pk = case.pk
    path: dict[Status, list] = {
        Status.REPORTED: [],
        Status.ACCEPTED: ["accept"],
        Status.NOT_ACCEPTED: ["reject"],
        Status.SELF_HANDLED: ["self_handle"],
        Status.FILED: ["accept", "file"],
        Status.VOIDED: ["accept", "file", "void"],
        Status.HANDLING: ["accept", "file", "dispatch"],
        Status.SUSPENDED: [
            "accept",
            "file",
            "dispatch",
            "request_suspension",
            "approve_suspension",
        ],
        Status.HANDLED: ["accept", "file", "dispatch", "report_handled"],
        Status.AWAITING_REINSPECTION: [
            "accept",
            "file",
            "dispatch",
            "report_handled",
            "send_for_reinspection",
        ],
        Status.AWAITING_CLOSING: [
            "accept",
            "file",
            "dispatch",
            "report_handled",
            "send_for_reinspection",
            "reinspect_pass",
        ],
        Status.CLOSED: [
            "accept",
            "file",
            "dispatch",
            "report_handled",
            "send_for_reinspection",
            "reinspect_pass",
            "close",
        ],
    }
    steps = list(path[status])
    if pending:
        steps.append(f"request_{pending}")
    for step in steps:
        act(w, step, pk)
    return Case.objects.get(pk=pk)


def act(world: World, action: str, case_id: int, **extra: Any) -> Case:
    """Take ``action`` on the case as the natural actor with valid arguments."""
    w = world
    service = services.ACTION_SERVICES[action]
    kwargs = valid_arguments(w, action, case_id)
    kwargs.update(extra)
    return service(case_id=case_id, **kwargs)


ACTOR_OF = {
    "send_for_verification": "acceptor",
    "verify_pass": "inspector",
    "verify_fail": "inspector",
    "accept": "acceptor",
    "reject": "acceptor",
    "self_handle": "inspector",
    "approve_self_handle": "shift_leader",
    "deny_self_handle": "shift_leader",
    "file": "shift_leader",
    "void": "shift_leader",
    "dispatch": "dispatcher",
    "request_sendback": "handler",
    "approve_sendback": "dispatcher",
    "deny_sendback": "dispatcher",
    "request_extension": "handler",
    "approve_extension": "dispatcher",
    "deny_extension": "dispatcher",
    "request_suspension": "handler",
    "approve_suspension": "dispatcher",
    "deny_suspension": "dispatcher",
    "resume": "dispatcher",
    "report_handled": "handler",
    "send_for_reinspection": "acceptor",
    "reinspect_pass": "inspector",
    "reinspect_fail": "inspector",
    "close": "shift_leader",
    "urge": "supervisor",
}


def valid_arguments(world: World, action: str, case_id: int) -> dict[str, Any]:
    """Arguments that pass each service's own validation, for the natural actor."""
    kwargs: dict[str, Any] = {"actor": world.people[ACTOR_OF[action]]}
    if action in {"reject", "void", "request_sendback", "request_suspension", "request_extension"}:
        kwargs["reason"] = "测试理由"
    elif action in {
        "verify_fail",
        "deny_self_handle",
        "deny_sendback",
        "deny_extension",
        "deny_suspension",
        "reinspect_fail",
        "urge",
    }:
        kwargs["note"] = "测试意见"
    if action in {"report_handled", "self_handle"}:
        kwargs["photos"] = [jpeg_bytes(colour=(200, 200, 200))]
    if action == "dispatch":
        kwargs["lead"] = world.sanitation
    if action == "request_extension":
        # Later than both the deadline and the (played) present, however far time has moved.
        deadline = Case.objects.get(pk=case_id).handling_deadline
        base = max(d for d in (deadline, clock.now()) if d is not None)
        kwargs["until"] = base + timedelta(days=3)
    return kwargs

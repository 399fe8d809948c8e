"""Plays city life through the real services, at played times: inspectors report, the centre
accepts, files and dispatches, departments handle (some late, some reworked, some sent back).
Used by the demo seed and the `simulate_day` command; deterministic for a given random seed and
database."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import Point
from django.utils import timezone
from PIL import Image, ImageDraw

from cases import clock, services
from cases.models import Case
from cases.workflow import Source, Status
from departments.models import Department
from departments.roles import Role
from departments.selectors import grids_patrolled_by, inspectors_for_grid, users_with_role
from gridcity.errors import DomainError
from gridcity.geo import make_point
from grids.models import Category, Grid

# Everyday matters an inspector meets most (codes of GB/T 47678.5); others come rarely.
COMMON_MATTERS = ("06010", "06011", "06012", "06014", "06020", "09009", "09013", "07001", "08003")
DESCRIPTIONS = {
    "06010": "路边有暴露垃圾",
    "06011": "积存垃圾渣土未清运",
    "06012": "道路不洁，有油污",
    "09009": "机动车乱停放占用人行道",
    "09013": "店外经营占道",
}


def photo_jpeg(*, rng: random.Random, point: Point | None = None, label: str = "") -> bytes:
    """A small generated photo (a coloured scene with a mark), with EXIF GPS near ``point``."""
    colour = (rng.randrange(40, 220), rng.randrange(40, 220), rng.randrange(40, 220))
    img = Image.new("RGB", (160, 120), colour)
    draw = ImageDraw.Draw(img)
    x, y = rng.randrange(10, 110), rng.randrange(10, 70)
    draw.rectangle((x, y, x + 40, y + 40), outline=(255, 255, 255), width=3)
    if label:
        draw.text((6, 100), label, fill=(255, 255, 255))
    exif = Image.Exif()
    if point is not None:
        lon = point.x + rng.uniform(-0.0002, 0.0002)
        lat = point.y + rng.uniform(-0.0002, 0.0002)
        exif[0x8825] = {1: "N", 2: _dms(lat), 3: "E", 4: _dms(lon)}
    out = BytesIO()
    img.save(out, format="JPEG", quality=80, exif=exif)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return (float(degrees), float(minutes), round(((value - degrees) * 60 - minutes) * 60, 3))


# From a fresh inspector's report to each status (the demo makes sure every status shows up).
PATH_TO: dict[str, tuple[str, ...]] = {
    Status.REPORTED: (),
    Status.ACCEPTED: ("accept",),
    Status.NOT_ACCEPTED: ("reject",),
    Status.SELF_HANDLED: ("self_handle",),
    Status.FILED: ("accept", "file"),
    Status.VOIDED: ("accept", "file", "void"),
    Status.HANDLING: ("accept", "file", "dispatch"),
    Status.SUSPENDED: ("accept", "file", "dispatch", "request_suspension", "approve_suspension"),
    Status.HANDLED: ("accept", "file", "dispatch", "report_handled"),
    Status.AWAITING_REINSPECTION: (
        "accept",
        "file",
        "dispatch",
        "report_handled",
        "send_for_reinspection",
    ),
    Status.AWAITING_CLOSING: (
        "accept",
        "file",
        "dispatch",
        "report_handled",
        "send_for_reinspection",
        "reinspect_pass",
    ),
    Status.CLOSED: (
        "accept",
        "file",
        "dispatch",
        "report_handled",
        "send_for_reinspection",
        "reinspect_pass",
        "close",
    ),
}


@dataclass
class Odds:
    """How often each side path is taken (per decision)."""

    reject: float = 0.04
    self_handle: float = 0.05
    void: float = 0.03
    sendback: float = 0.06
    extension: float = 0.08
    suspension: float = 0.03
    late: float = 0.15
    rework: float = 0.18
    urge: float = 0.05


@dataclass
class Simulator:
    rng: random.Random
    odds: Odds = field(default_factory=Odds)
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.staff = {
            role: list(users_with_role(role=role))
            for role in (Role.ACCEPTOR, Role.SHIFT_LEADER, Role.DISPATCHER, Role.SUPERVISOR)
        }
        codes = list(
            Category.objects.filter(kind=Category.Kind.MATTER, code__in=COMMON_MATTERS)
            .order_by("code")
            .values_list("pk", flat=True)
        )
        self.categories = list(Category.objects.filter(pk__in=codes).order_by("code")) or list(
            Category.objects.filter(kind=Category.Kind.MATTER).order_by("code")[:20]
        )

    # ------------------------------------------------------------ people
    def pick(self, role: Role) -> AbstractBaseUser | None:
        people = self.staff.get(role) or []
        return self.rng.choice(people) if people else None

    def handler_of(self, department: Department | None) -> AbstractBaseUser | None:
        if department is None:
            return None
        people = list(users_with_role(role=Role.HANDLER, department=department)) or list(
            users_with_role(role=Role.DEPARTMENT_LEAD, department=department)
        )
        return self.rng.choice(people) if people else None

    def inspector_of(self, grid: Grid, at: datetime) -> AbstractBaseUser | None:
        people = list(inspectors_for_grid(grid=grid, on=timezone.localdate(at)))
        return self.rng.choice(people) if people else None

    def inspectors(self, at: datetime) -> list[tuple[AbstractBaseUser, list[Grid]]]:
        found = []
        for user in users_with_role(role=Role.INSPECTOR):
            grids = list(grids_patrolled_by(inspector=user, on=timezone.localdate(at)))
            if grids:
                found.append((user, grids))
        return found

    # ------------------------------------------------------------ report
    def point_in(self, grid: Grid) -> Point:
        xmin, ymin, xmax, ymax = grid.boundary.extent
        for _ in range(20):
            point = make_point(lon=self.rng.uniform(xmin, xmax), lat=self.rng.uniform(ymin, ymax))
            if grid.boundary.contains(point):
                return point
        return grid.boundary.point_on_surface

    def report(
        self,
        *,
        at: datetime,
        inspector: AbstractBaseUser,
        grids: list[Grid],
        public: bool | None = None,
    ) -> Case | None:
        """A new report: the inspector's own, or (one in five) a citizen's via an acceptor."""
        grid = self.rng.choice(grids)
        point = self.point_in(grid)
        category = self.rng.choice(self.categories)
        if public is None:
            public = self.rng.random() < 0.2
        acceptor = self.pick(Role.ACCEPTOR)
        with clock.played_at(at):
            try:
                if public and acceptor is not None:
                    case = services.case_report(
                        actor=acceptor,
                        source=self.rng.choice([Source.HOTLINE_12345, Source.PUBLIC]),
                        category=category,
                        description=f"市民反映：{DESCRIPTIONS.get(category.code, category.name)}",
                        location=point,
                        reporter_name=self.rng.choice(["张先生", "李女士", "王先生", "赵女士"]),
                        reporter_phone=f"138{self.rng.randrange(10**7, 10**8)}",
                    )
                else:
                    case = services.case_report(
                        actor=inspector,
                        source=Source.INSPECTOR,
                        category=category,
                        description=DESCRIPTIONS.get(category.code, f"发现{category.name}问题"),
                        location=point,
                        photos=[photo_jpeg(rng=self.rng, point=point, label=category.code)],
                    )
                services.case_after_report(case_id=case.pk)
            except DomainError:
                self.tally("refused")
                return None
        self.tally("reported")
        return case

    # ------------------------------------------------------------ one step
    def choose(self, case: Case) -> str | None:
        """The next action for the case, with the side paths at their odds."""
        chance, o = self.rng.random, self.odds
        status, pending = case.status, case.pending
        if status == Status.AWAITING_VERIFICATION:
            return "verify_fail" if chance() < o.reject else "verify_pass"
        if status == Status.REPORTED:
            if case.source == Source.INSPECTOR and chance() < o.self_handle:
                return "self_handle"
            return "reject" if chance() < o.reject else "accept"
        if status == Status.FILED:
            return "void" if chance() < o.void else "dispatch"
        if status == Status.HANDLING and pending:
            return f"{'deny' if chance() < 0.3 else 'approve'}_{pending}"
        if status == Status.HANDLING:
            roll, edge = chance(), 0.0
            for name, odds in (
                ("request_sendback", o.sendback),
                ("request_extension", o.extension),
                ("request_suspension", o.suspension),
                ("urge", o.urge),
            ):
                edge += odds
                if roll < edge:
                    return name
            return "report_handled"
        if status == Status.AWAITING_REINSPECTION:
            return "reinspect_fail" if chance() < o.rework else "reinspect_pass"
        return {
            Status.SELF_HANDLED: "approve_self_handle",
            Status.ACCEPTED: "file",
            Status.SUSPENDED: "resume",
            Status.HANDLED: "send_for_reinspection",
            Status.AWAITING_CLOSING: "close",
        }.get(Status(status))

    def arguments(self, case: Case, name: str, at: datetime) -> dict[str, Any] | None:
        """Who takes the action and with what; None when nobody can."""
        photo = [photo_jpeg(rng=self.rng, point=case.location, label="after")]
        handler = None
        if name.startswith("request_") or name == "report_handled":
            handler = self.handler_of(case.lead_department)
        kwargs: dict[str, Any]
        if name in ("verify_pass", "verify_fail", "reinspect_pass", "reinspect_fail"):
            kwargs = {"actor": self.inspector_of(case.grid, at)}
            if name.endswith("fail"):
                kwargs["note"] = "现场问题仍然存在" if "reinspect" in name else "现场未发现问题"
        elif name == "self_handle":
            kwargs = {"actor": case.reporter, "photos": photo}
        elif name in ("accept", "send_for_reinspection"):
            kwargs = {"actor": self.pick(Role.ACCEPTOR)}
        elif name == "reject":
            kwargs = {"actor": self.pick(Role.ACCEPTOR), "reason": "不属于受理范围"}
        elif name in ("file", "close", "approve_self_handle"):
            kwargs = {"actor": self.pick(Role.SHIFT_LEADER)}
        elif name == "void":
            kwargs = {"actor": self.pick(Role.SHIFT_LEADER), "reason": "重复上报"}
        elif name == "dispatch":
            lead = case.suggested_department
            if case.sendback_count and lead is not None:
                others = list(
                    Department.objects.filter(is_active=True, kind="street_office")
                    .exclude(pk=lead.pk)
                    .order_by("pk")[:5]
                )
                lead = self.rng.choice(others) if others else lead
            if lead is None:
                return None
            kwargs = {"actor": self.pick(Role.DISPATCHER), "lead": lead}
        elif name.startswith(("approve_", "deny_")) or name == "resume":
            kwargs = {"actor": self.pick(Role.DISPATCHER)}
            if name.startswith("deny_"):
                kwargs["note"] = "理由不充分"
        elif name == "request_sendback":
            kwargs = {"actor": handler, "reason": "不属于本单位职责"}
        elif name == "request_extension":
            until = (case.handling_deadline or at) + timedelta(days=self.rng.randint(1, 5))
            kwargs = {"actor": handler, "until": until, "reason": "需协调"}
        elif name == "request_suspension":
            kwargs = {"actor": handler, "reason": "待资金落实"}
        elif name == "urge":
            kwargs = {"actor": self.pick(Role.SUPERVISOR), "note": "请尽快处置"}
        elif name == "report_handled":
            kwargs = {"actor": handler, "photos": photo}
        else:
            return None
        return kwargs if kwargs.get("actor") is not None else None

    def take(self, case: Case, name: str, *, at: datetime) -> bool:
        """Take one named action at ``at`` through its service; False when it could not be."""
        kwargs = self.arguments(case, name, at)
        if kwargs is None:
            return False
        with clock.played_at(at):
            try:
                services.ACTION_SERVICES[name](case_id=case.pk, **kwargs)
            except DomainError:
                self.tally("refused")
                return False
        self.tally(name)
        case.refresh_from_db()
        return True

    def advance(self, case: Case, *, at: datetime) -> bool:
        """Take the natural next action on the case at ``at``; False when nothing was done."""
        case.refresh_from_db()
        name = self.choose(case)
        return name is not None and self.take(case, name, at=at)

    def play_path(self, case: Case, path: tuple[str, ...], *, at: datetime, gap: timedelta) -> bool:
        """Take the named actions in order, ``gap`` apart; False at the first that fails."""
        for name in path:
            at += gap
            if not self.take(case, name, at=at):
                return False
        return True

    def tally(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    def summary(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))

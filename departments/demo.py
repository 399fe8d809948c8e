"""The demo organisation of Qingdao 市南区: departments with valid credit codes, a street office
per street, a rule set that routes every directory category, the calendar of this year and
next, and demo accounts for every role with patrol areas. Deterministic and idempotent."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import TextIO

import chinese_calendar
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from departments.calendar import national_knows_year
from departments.codes import credit_code_make
from departments.models import CalendarDay, CalendarYear, Department, Person, ResponsibilityRule
from departments.roles import Role
from departments.services import (
    patrol_assign,
    person_set,
    roles_set,
    roles_sync,
    rule_create,
    rule_update,
    working_time_defaults_load,
)
from grids.models import Area, Category, Grid

User = get_user_model()

DISTRICT_CODE = "370202"
DEMO_PASSWORD = "gridcity-demo"  # noqa: S105 - printed for people trying the demo
GRIDS_PER_INSPECTOR = 18


@dataclass(frozen=True)
class Dept:
    key: str
    name: str
    kind: str
    registration: str
    serial: int
    parent: str = ""


PROFESSIONAL = Department.Kind.PROFESSIONAL
DEPARTMENTS = (
    Dept("bureau", "市南区城市管理局", PROFESSIONAL, "11", 1),
    Dept("command", "市南区城市管理指挥中心", Department.Kind.COMMAND_CENTRE, "12", 2, "bureau"),
    Dept("supervision", "市南区城市管理监督中心", Department.Kind.SUPERVISION_CENTRE, "12", 3),
    Dept("sanitation", "市南区环境卫生管理所", PROFESSIONAL, "12", 4, "bureau"),
    Dept("municipal", "市南区市政工程管理所", PROFESSIONAL, "12", 5, "bureau"),
    Dept("landscaping", "市南区园林绿化管理所", PROFESSIONAL, "12", 6, "bureau"),
    Dept("enforcement", "市南区城市管理综合执法大队", PROFESSIONAL, "11", 7, "bureau"),
    Dept("traffic", "市南区交通运输局", PROFESSIONAL, "11", 8),
    Dept("police", "青岛市公安局市南分局", PROFESSIONAL, "11", 9),
    Dept("traffic_police", "市南交警大队", PROFESSIONAL, "11", 10, "police"),
    Dept("fire", "市南区消防救援大队", PROFESSIONAL, "11", 11),
    Dept("water", "青岛水务集团市南供水所", PROFESSIONAL, "91", 12),
    Dept("gas", "青岛能源燃气市南分公司", PROFESSIONAL, "91", 13),
    Dept("power", "国网青岛市南供电中心", PROFESSIONAL, "91", 14),
    Dept("heating", "青岛能源热电市南分公司", PROFESSIONAL, "91", 15),
    Dept("telecom", "市南区通信管线联合办公室", PROFESSIONAL, "12", 16),
    Dept("housing", "市南区住房和城乡建设局", PROFESSIONAL, "11", 17),
    Dept("environment", "青岛市生态环境局市南分局", PROFESSIONAL, "11", 18),
    Dept("waterways", "市南区水务局", PROFESSIONAL, "11", 19),
    Dept("market", "市南区市场监督管理局", PROFESSIONAL, "11", 20),
    Dept("civil", "市南区民政局", PROFESSIONAL, "11", 21),
    Dept("culture", "市南区文化和旅游局", PROFESSIONAL, "11", 22),
    Dept("weather", "青岛市气象局市南观测站", PROFESSIONAL, "12", 23),
)

# Every major class of both kinds has a default department, so every category has a rule.
MAJOR_DEFAULTS = {
    ("component", "01"): "municipal",
    ("component", "02"): "traffic",
    ("component", "03"): "sanitation",
    ("component", "04"): "landscaping",
    ("component", "05"): "housing",
    ("matter", "01"): "municipal",
    ("matter", "02"): "traffic",
    ("matter", "03"): "sanitation",
    ("matter", "04"): "landscaping",
    ("matter", "05"): "housing",
    ("matter", "06"): "enforcement",
    ("matter", "07"): "enforcement",
    ("matter", "08"): "housing",
    ("matter", "09"): "enforcement",
    ("matter", "10"): "municipal",
}
# Minor classes answered by another department. Codes of majors 01-05 name a component type
# and its "…异常" matter alike, so these rules match both kinds (owner first, 先属主).
MINOR_OWNERS = {
    "water": "01001 01024 01025 01068",
    "power": "01005 01017 01028 01029 01030 01047 01048",
    "telecom": "01007 01008 01009 01027 01031 01062 01074",
    "heating": "01010 01061",
    "gas": "01011 01021 01036 01049 01057",
    "police": "01012 01050 01051 02039",
    "fire": "01013 09012",
    "landscaping": "01014 06017 06018 06021 06022 06045 06047",
    "traffic_police": "01015 02010 02014 02015 02016 06016 06034 09009 09018",
    "traffic": "01020 01032 09011",
    "enforcement": "03006 03007 03008 08016",
    "weather": "03009",
    "environment": "03010 03011 03012 03013 06027 06028 06030 08004",
    "culture": "05009 09008",
    "sanitation": "06010 06011 06012 06014 06015 06020 06032 06033 06037 06041 06042 10001",
    "municipal": "06013 06023 06048 06049 06050 06051 06052 08003",
    "waterways": "06024 06025 06026 06046",
    "market": "09013 09015 09020",
    "civil": "09003",
}


def seed(*, scale: float, stdout: TextIO) -> str:
    district = Area.objects.filter(level=Area.Level.DISTRICT, code=DISTRICT_CODE).first()
    if district is None:
        raise RuntimeError("departments.demo needs the grids demo (district 370202) to exist")
    if not Category.objects.exists():
        raise RuntimeError("departments.demo needs the category directory to be loaded")
    with transaction.atomic():
        roles_sync()
        working_time_defaults_load()
        depts = _departments(district)
        rules = _rules(depts)
        days = _calendar()
        accounts, inspectors, patrolled = _people(depts, district)
    stdout.write(f"演示账户（密码均为 {DEMO_PASSWORD}）：\n")
    for username, role_names, department in accounts:
        stdout.write(f"  {username:<22} {role_names:<28} {department}\n")
    stdout.write(
        f"  inspector1 … inspector{inspectors}  监督员  (每人约 {GRIDS_PER_INSPECTOR} 个网格)\n"
    )
    return (
        f"{len(depts)} departments, {rules} rules, {days} calendar days, "
        f"{len(accounts) + inspectors} accounts ({inspectors} inspectors patrolling "
        f"{patrolled} grids), password {DEMO_PASSWORD}"
    )


def _departments(district: Area) -> dict[str, Department]:
    depts: dict[str, Department] = {}
    for spec in DEPARTMENTS:
        code = credit_code_make(
            registration=spec.registration, region=DISTRICT_CODE, serial=f"{55000000 + spec.serial}"
        )
        dept, _ = Department.objects.update_or_create(
            credit_code=code,
            defaults={
                "name": spec.name,
                "kind": spec.kind,
                "parent": depts.get(spec.parent),
                "phone": f"0532-8{spec.serial:03d}0000",
                "is_active": True,
            },
        )
        depts[spec.key] = dept
    for street in Area.objects.filter(level=Area.Level.STREET, parent=district).order_by("code"):
        # A street that already has its office (entered by the city) keeps it.
        office = Department.objects.active().street_offices().filter(area=street).first()
        if office is None:
            code = credit_code_make(
                registration="11",
                region=DISTRICT_CODE,
                serial=f"{56000000 + int(street.code[6:])}",
            )
            office, _ = Department.objects.update_or_create(
                credit_code=code,
                defaults={
                    "name": f"{street.name}办事处",
                    "kind": Department.Kind.STREET_OFFICE,
                    "area": street,
                    "is_active": True,
                },
            )
        depts[f"street:{street.code}"] = office
    return depts


def _rule(depts: dict[str, Department], *, name: str, priority: int, **fields: object) -> int:
    assisting = fields.pop("assisting", [])
    existing = ResponsibilityRule.objects.filter(name=name).first()
    if existing is None:
        rule_create(actor=None, name=name, priority=priority, assisting=assisting, **fields)
        return 1
    rule_update(actor=None, rule=existing, priority=priority, assisting=assisting, **fields)
    return 0


def _rules(depts: dict[str, Department]) -> int:
    """Area rules first (100s), then minor classes (200s), then major defaults (900s)."""
    count = 0
    streets = sorted(key for key in depts if key.startswith("street:"))
    for n, key in enumerate(streets):
        street_code = key.split(":", 1)[1]
        count += _rule(
            depts,
            name=f"演示：{street_code} 占道经营由街道主办、执法协办",
            priority=100 + n,
            kind="matter",
            category_code="09006",
            area_code=street_code,
            lead=depts[key],
            assisting=[depts["enforcement"]],
        )
    known = set(Category.objects.values_list("code", flat=True))
    priority = 200
    for owner, codes in MINOR_OWNERS.items():
        for code in codes.split():
            if code not in known:
                continue
            count += _rule(
                depts,
                name=f"演示：{code} → {depts[owner].name}",
                priority=priority,
                category_code=code,
                lead=depts[owner],
            )
            priority += 1
    for (kind, major), owner in MAJOR_DEFAULTS.items():
        count += _rule(
            depts,
            name=f"演示：{kind} 大类 {major} → {depts[owner].name}",
            priority=900,
            kind=kind,
            category_code=major,
            lead=depts[owner],
        )
    return count


def _calendar() -> int:
    """This year comes from the library; next year, while the library lacks it, as a
    provisional local schedule: the statutory days that fall on weekdays, marked for review."""
    this_year = timezone.localdate().year
    created = 0
    for year in (this_year, this_year + 1):
        if national_knows_year(year):
            continue
        for day, note in _statutory_weekdays(year):
            _, made = CalendarDay.objects.get_or_create(
                date=day,
                defaults={"is_working_day": False, "note": f"{note}（预估，待国务院办公厅通知）"},
            )
            created += made
        CalendarYear.objects.get_or_create(
            year=year,
            defaults={
                "status": CalendarYear.Status.PROVISIONAL,
                "note": "演示数据：按法定节日预估，调休未录入",
            },
        )
    return created


# Lunar festivals by Gregorian date for the years the demo may need next (a table from the
# lunar calendar, not a holiday schedule); Qingming comes from the library's solar terms.
LUNAR_FESTIVALS = {
    2027: {
        "春节（除夕）": date(2027, 2, 5),
        "春节": date(2027, 2, 6),
        "端午节": date(2027, 6, 9),
        "中秋节": date(2027, 9, 15),
    },
    2028: {
        "春节（除夕）": date(2028, 1, 25),
        "春节": date(2028, 1, 26),
        "端午节": date(2028, 5, 28),
        "中秋节": date(2028, 10, 3),
    },
}


def _statutory_weekdays(year: int) -> list[tuple[date, str]]:
    days: dict[date, str] = {date(year, 1, 1): "元旦"}
    lunar = LUNAR_FESTIVALS.get(year, {})
    for name, day in lunar.items():
        if name == "春节":
            for offset in range(3):
                days[date.fromordinal(day.toordinal() + offset)] = "春节"
        else:
            days[day] = name.replace("（除夕）", "")
    qingming = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
    days.update({day: "清明节" for day, term in qingming if term == "清明"})
    days.update({date(year, 5, d): "劳动节" for d in (1, 2)})
    days.update({date(year, 10, d): "国庆节" for d in (1, 2, 3)})
    return sorted((day, note) for day, note in days.items() if day.weekday() < 5)


def _people(depts: dict[str, Department], district: Area) -> tuple[list, int, int]:
    password = make_password(DEMO_PASSWORD)
    accounts = [
        ("admin", [Role.ADMINISTRATOR], "bureau"),
        ("acceptor", [Role.ACCEPTOR], "supervision"),
        ("shiftleader", [Role.SHIFT_LEADER], "supervision"),
        ("dispatcher", [Role.DISPATCHER], "command"),
        ("operator", [Role.ACCEPTOR, Role.SHIFT_LEADER, Role.DISPATCHER], "command"),
        ("supervisor", [Role.SUPERVISOR], "supervision"),
        ("lead_sanitation", [Role.DEPARTMENT_LEAD], "sanitation"),
    ]
    for key in ("sanitation", "municipal", "landscaping", "enforcement", "traffic", "water"):
        accounts.append((f"handler_{key}", [Role.HANDLER], key))
    for key in ("gas", "power", "telecom", "traffic_police", "housing"):
        accounts.append((f"handler_{key}", [Role.HANDLER], key))
    streets = sorted(key for key in depts if key.startswith("street:"))
    for n, key in enumerate(streets, start=1):
        accounts.append((f"handler_street{n}", [Role.HANDLER], key))
    listed = []
    for username, roles, key in accounts:
        user = _account(username, password)
        person_set(user=user, department=depts[key])
        roles_set(actor=None, user=user, roles=roles)
        listed.append((username, "、".join(str(r.label) for r in roles), depts[key].name))
    if streets:
        regional = _account("supervisor_street1", password)
        street = depts[streets[0]].area
        person_set(user=regional, department=depts["supervision"], supervised_areas=[street])
        roles_set(actor=None, user=regional, roles=[Role.SUPERVISOR])
        listed.append(
            ("supervisor_street1", f"{Role.SUPERVISOR.label}（{street.name}）", "监督中心")
        )
    inspectors, patrolled = _inspectors(depts, district, password)
    return listed, inspectors, patrolled


def _account(username: str, password_hash: str) -> User:
    user, _ = User.objects.get_or_create(
        username=username,
        defaults={"password": password_hash, "email": f"{username}@demo.gridcity"},
    )
    return user


def _inspectors(depts: dict[str, Department], district: Area, password: str) -> tuple[int, int]:
    """Inspectors per street, each patrolling about 18 neighbouring grids of one street."""
    today = timezone.localdate()
    start = date(today.year, 1, 1)
    grids = list(
        Grid.objects.current(on=today)
        .filter(code__startswith=district.code)
        .order_by("code")
        .only("pk", "code", "valid_from")
    )
    by_street: dict[str, list[Grid]] = {}
    for grid in grids:
        by_street.setdefault(grid.code[:9], []).append(grid)
    number = 0
    for _street, street_grids in sorted(by_street.items()):
        teams = math.ceil(len(street_grids) / GRIDS_PER_INSPECTOR)
        for team in range(teams):
            number += 1
            user = _account(f"inspector{number}", password)
            if not Person.objects.filter(user=user).exists():
                person_set(user=user, department=depts["supervision"])
            if not user.groups.filter(name=Role.INSPECTOR.value).exists():
                roles_set(actor=None, user=user, roles=[Role.INSPECTOR])
            share = street_grids[team * GRIDS_PER_INSPECTOR : (team + 1) * GRIDS_PER_INSPECTOR]
            patrol_assign(
                actor=None,
                inspector=user,
                grids=share,
                valid_from=max([start, *(g.valid_from for g in share)]),
            )
    return number, len(grids)

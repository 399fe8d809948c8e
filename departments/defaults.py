"""Built-in starting values: duty hours, step time limits, sample handling limits and the
permissions each role's group gets. Data migrations and the idempotent seed services read these,
so a flushed test database can be refilled the same way the migrations filled it."""

from __future__ import annotations

from datetime import time

# Monday to Friday, with a lunch break; cities change them in the admin.
DEFAULT_DUTY_HOURS: dict[int, tuple[tuple[time, time], ...]] = {
    weekday: ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30))) for weekday in range(5)
}

# (step, urgency or "", amount, unit, note): rows without a category.
DEFAULT_STEP_LIMITS: tuple[tuple[str, str, int, str, str], ...] = (
    ("verify", "", 30, "working_minutes", "核实 30 分钟"),
    ("reinspect", "", 30, "working_minutes", "核查 30 分钟（部分区县 120 分钟）"),
    ("accept", "", 30, "working_minutes", "受理 30 分钟"),
    ("file", "", 30, "working_minutes", "立案 30 分钟"),
    ("dispatch", "", 30, "working_minutes", "派遣 30 分钟"),
    ("close", "", 60, "working_minutes", "结案 60 分钟"),
    ("handle", "", 1, "working_days", "处置默认 1 个工作日"),
    ("handle", "normal", 1, "working_days", "一般：1 个工作日"),
    ("handle", "urgent", 4, "natural_hours", "紧急：4 个自然小时"),
    ("handle", "engineering", 20, "working_days", "工程类：20 个工作日"),
)

# Matter types "<cover>井盖异常" of major 01: a damaged or missing cover is a safety hazard.
MANHOLE_MATTER_CODES = tuple(
    f"01{minor:03d}"
    for minor in (1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 17, 18, 19, 20, 21, 22, 23)
)
# (kind, code, urgency, amount, unit, note): handling limits from published filing standards.
SAMPLE_HANDLING_LIMITS: tuple[tuple[str, str, str, int, str, str], ...] = (
    ("matter", "06012", "normal", 2, "working_hours", "道路不洁：2 个工作小时"),
    ("matter", "06010", "normal", 4, "working_hours", "暴露垃圾：4 个工作小时"),
    ("matter", "06011", "normal", 2, "working_days", "积存垃圾渣土：2 个工作日"),
    ("matter", "04013", "normal", 5, "working_days", "绿地养护：5 个工作日"),
    ("matter", "06001", "normal", 4, "working_hours", "违法建设：责令停工 4 个工作小时"),
    ("matter", "06001", "engineering", 20, "working_days", "违法建设：拆除 20 个工作日"),
    ("matter", "08016", "normal", 4, "working_hours", "无证建设：责令停工 4 个工作小时"),
    ("matter", "08016", "engineering", 20, "working_days", "无证建设：拆除 20 个工作日"),
    *(
        row
        for code in MANHOLE_MATTER_CODES
        for row in (
            ("matter", code, "normal", 6, "natural_hours", "井盖破损：6 小时"),
            ("matter", code, "engineering", 36, "natural_hours", "井盖破损（条件受限）：36 小时"),
        )
    ),
)

# Permissions per role as "<app_label>.<codename pattern>", "*" a wildcard. Models of apps that
# do not exist yet are skipped and picked up by the next `roles_sync()`.
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "inspector": ("grids.view_*", "departments.view_notice"),
    "acceptor": ("grids.view_*", "departments.view_*", "cases.view_*", "cases.add_*"),
    "shift_leader": ("grids.view_*", "departments.view_*", "cases.view_*", "cases.change_*"),
    "dispatcher": ("grids.view_*", "departments.view_*", "cases.view_*", "cases.change_*"),
    "handler": ("grids.view_*", "departments.view_department", "cases.view_*"),
    "department_lead": (
        "grids.view_*",
        "departments.view_department",
        "departments.view_person",
        "cases.view_*",
    ),
    "supervisor": ("grids.view_*", "departments.view_*", "cases.view_*"),
    "administrator": (
        "grids.*",
        "departments.*",
        "cases.*",
        "reports.*",
        "open311.*",
        "gridcity.*",
        "auth.*",
        "admin.view_logentry",
        "axes.*",
        "django_celery_beat.*",
    ),
}

"""Departments, people and their roles, patrol areas, responsibility rules, working time and
notices. One module per subdomain; everything is importable from `departments.models`."""

from departments.models.notices import Delivery, Notice, NotificationPreference
from departments.models.org import Department, PatrolAssignment, Person
from departments.models.rules import ResponsibilityRule
from departments.models.worktime import CalendarDay, CalendarYear, DutyPeriod, TimeLimit

# Importable by path, for the API schema's enum names (settings.SPECTACULAR_SETTINGS).
DepartmentKind = Department.Kind

__all__ = [
    "CalendarDay",
    "CalendarYear",
    "Delivery",
    "Department",
    "DepartmentKind",
    "DutyPeriod",
    "Notice",
    "NotificationPreference",
    "PatrolAssignment",
    "Person",
    "ResponsibilityRule",
    "TimeLimit",
]

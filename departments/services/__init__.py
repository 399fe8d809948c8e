"""Every write of the departments app (and the evaluation of responsibility rules), importable
from `departments.services`."""

from departments.services.notices import (
    DeliveryFailed,
    delivery_retry,
    delivery_send,
    notice_mark_read,
    notify,
)
from departments.services.org import (
    department_create,
    department_update,
    patrol_assign,
    patrol_end,
    person_set,
    role_grant,
    role_revoke,
    roles_set,
)
from departments.services.rules import (
    responsibility_dry_run,
    responsibility_evaluate,
    rule_create,
    rule_update,
)
from departments.services.worktime import (
    calendar_day_set,
    calendar_schedule_warn,
    calendar_year_set,
    roles_sync,
    time_limit_set,
    time_limit_update,
    working_time_defaults_load,
)

__all__ = [
    "DeliveryFailed",
    "calendar_day_set",
    "calendar_schedule_warn",
    "calendar_year_set",
    "delivery_retry",
    "delivery_send",
    "department_create",
    "department_update",
    "notice_mark_read",
    "notify",
    "patrol_assign",
    "patrol_end",
    "person_set",
    "responsibility_dry_run",
    "responsibility_evaluate",
    "role_grant",
    "role_revoke",
    "roles_set",
    "roles_sync",
    "rule_create",
    "rule_update",
    "time_limit_set",
    "time_limit_update",
    "working_time_defaults_load",
]

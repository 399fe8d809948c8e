"""The evaluation fact of a case: one row per case, kept up to date in the same transaction as
every event the case gets, so the reports read a narrow indexed table instead of the event log.

Why here and not in ``reports``: the fact is a projection of the case and its event log, and
it must change in the transaction that writes the event. ``cases.services._core.event_write`` is
the one place every event passes through (actions, reports, timer sweeps, automation), so it
calls :func:`fact_record` directly; keeping the model in ``cases`` means no hook registry and
keeps the dependency direction ``reports → cases → departments → grids``.

The row is built from two parts:

- what the event log says (:func:`fact_apply`, a fold over the events in sequence): the first
  acceptance, filing and dispatch, voiding, the last report back and re-inspection with their
  on-time flags, closing, the people who did each step, rework/extension/send-back counts,
  whether the case is suspended now;
- what the case row is now (:func:`fact_snapshot`): status, category, grid codes, lead
  department, handling deadline, location.

``facts_rebuild`` runs the same fold from scratch over the stored log, so the
``rebuild_case_facts`` command can repair or check the incremental rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.gis.db import models
from django.db import connection, transaction
from django.db.models.functions import Greatest
from django.utils.translation import gettext_lazy as _

from gridcity.db import rows_update

if TYPE_CHECKING:
    from cases.models import Case, CaseEvent

# Fields filled by the fold over events; the rest are snapshots of the case row.
EVENT_FIELDS = (
    "reporter_id",
    "verifier_id",
    "verified_at",
    "verified_on_time",
    "acceptor_id",
    "accepted_at",
    "filer_id",
    "filed_at",
    "voided_at",
    "rejected_at",
    "dispatcher_id",
    "dispatched_at",
    "handled_at",
    "handled_on_time",
    "reinspector_id",
    "reinspected_at",
    "reinspected_on_time",
    "closer_id",
    "closed_at",
    "outcome",
    "suspended",
    "rework_count",
    "extension_count",
    "sendback_count",
    "urge_count",
    "last_sequence",
)
SNAPSHOT_FIELDS = (
    "number",
    "status",
    "source",
    "category_id",
    "category_kind",
    "category_major",
    "category_code",
    "grid_id",
    "grid_code",
    "community_code",
    "street_code",
    "district_code",
    "lead_department_id",
    "grid_inspector_id",
    "handling_deadline",
    "reported_at",
    "location",
)


def _user_fk(verbose: str) -> models.ForeignKey:
    # No database constraint and no index of its own: people are never deleted (PROTECT on the
    # case) and the report queries group by these columns within an indexed time range.
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


# Every timestamp a measure counts facts by (reports.indices.measure_q): a fact with one of
# them on or after a day has its latest on or after it too.
LATEST_STAMPS = (
    "reported_at",
    "verified_at",
    "accepted_at",
    "filed_at",
    "dispatched_at",
    "handling_deadline",
    "handled_at",
    "reinspected_at",
    "closed_at",
)


class FactColumns(models.Model):
    """The columns of an evaluation fact: the fact of a case now (CaseFact) and, in
    reports.models.FactVersion, one as it was before a change."""

    number = models.CharField(_("案件编号"), max_length=16)
    status = models.CharField(_("状态"), max_length=24)
    source = models.CharField(_("来源"), max_length=16)
    category = models.ForeignKey(
        "grids.Category", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    category_kind = models.CharField(_("部件/事件"), max_length=16)
    category_major = models.CharField(_("大类编码"), max_length=2)
    category_code = models.CharField(_("小类编码"), max_length=5)
    grid = models.ForeignKey(
        "grids.Grid", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    grid_code = models.CharField(_("网格编码"), max_length=15)
    community_code = models.CharField(_("社区编码"), max_length=12)
    street_code = models.CharField(_("街道编码"), max_length=9)
    district_code = models.CharField(_("区编码"), max_length=6)
    lead_department = models.ForeignKey(
        "departments.Department",
        verbose_name=_("主办部门"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    location = models.PointField(_("位置"), srid=4326)

    reporter = _user_fk(_("上报人"))
    grid_inspector = _user_fk(_("网格监督员"))
    verifier = _user_fk(_("核实人"))
    acceptor = _user_fk(_("受理员"))
    filer = _user_fk(_("立案值班长"))
    dispatcher = _user_fk(_("派遣员"))
    reinspector = _user_fk(_("核查人"))
    closer = _user_fk(_("结案值班长"))

    reported_at = models.DateTimeField(_("上报时间"))
    verified_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    verified_on_time = models.BooleanField(_("按时核实"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    filed_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("不予受理时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(
        _("派遣时间"), null=True, blank=True, help_text=_("The first dispatch.")
    )
    handling_deadline = models.DateTimeField(_("处置时限"), null=True, blank=True)
    handled_at = models.DateTimeField(
        _("反馈时间"),
        null=True,
        blank=True,
        help_text=_("The last report back; emptied by a failed re-inspection (rework)."),
    )
    handled_on_time = models.BooleanField(_("按期处置"), null=True, blank=True)
    reinspected_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    reinspected_on_time = models.BooleanField(_("按时核查"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    outcome = models.CharField(_("结案类型"), max_length=16, blank=True)
    suspended = models.BooleanField(_("挂账中"), default=False)
    rework_count = models.PositiveIntegerField(_("返工次数"), default=0)
    extension_count = models.PositiveIntegerField(_("延期次数"), default=0)
    sendback_count = models.PositiveIntegerField(_("回退次数"), default=0)
    urge_count = models.PositiveIntegerField(_("督办次数"), default=0)
    last_sequence = models.PositiveIntegerField(_("已计入事件序号"), default=0)
    # When a column the reports count by last changed (the database's clock at the start of
    # the writing transaction): set by a trigger on every insert and on every update that
    # changes more than last_sequence, whatever the writer sends; empty for facts written before
    # the column existed. The reports keep the counts of the facts unchanged since a moment and
    # add what changed after it (reports.counting, "rolling counts").
    changed_at = models.DateTimeField(_("变更时间"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (*EVENT_FIELDS, *SNAPSHOT_FIELDS)}


class CaseFact(FactColumns):
    """What the evaluation reports need of one case, refreshed with each of its events."""

    case = models.OneToOneField(
        "cases.Case", primary_key=True, on_delete=models.CASCADE, related_name="fact"
    )

    class Meta:
        verbose_name = _("案件考核事实")
        verbose_name_plural = _("案件考核事实")
        # Each measure filters one timestamp by a period range, then groups by a dimension.
        # fact_latest: the latest of the timestamps the measures count by (LATEST_STAMPS), so
        # the days after a kept prefix can be read as one range (reports.counting._part).
        indexes = [
            models.Index(Greatest(*LATEST_STAMPS), name="fact_latest"),
            models.Index(fields=["changed_at"], name="fact_changed"),
            models.Index(fields=["reported_at"], name="fact_reported"),
            models.Index(fields=["accepted_at"], name="fact_accepted"),
            models.Index(fields=["filed_at"], name="fact_filed"),
            models.Index(fields=["dispatched_at"], name="fact_dispatched"),
            models.Index(fields=["handled_at"], name="fact_handled"),
            models.Index(fields=["closed_at"], name="fact_closed"),
            models.Index(fields=["handling_deadline"], name="fact_deadline"),
            models.Index(fields=["verified_at"], name="fact_verified"),
            models.Index(fields=["reinspected_at"], name="fact_reinspected"),
            models.Index(fields=["lead_department", "closed_at"], name="fact_dept_closed"),
            models.Index(
                fields=["lead_department", "handling_deadline"], name="fact_dept_deadline"
            ),
            models.Index(
                fields=["grid_code"],
                name="fact_grid_code_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.number


def _left_on_time(event: CaseEvent) -> bool | None:
    left = (event.data or {}).get("step_left") or {}
    return left.get("on_time")


def fact_apply(fact: CaseFact, event: CaseEvent) -> None:
    """Fold one event into the fact (events must come in sequence order)."""
    from cases.workflow import Action

    at, actor, data = event.created_at, event.actor_id, event.data or {}
    action = event.action
    if action == Action.REPORT:
        fact.reporter_id = actor
    elif action in (Action.VERIFY_PASS, Action.VERIFY_FAIL):
        fact.verifier_id, fact.verified_at = actor, at
        fact.verified_on_time = _left_on_time(event)
    elif action == Action.ACCEPT and fact.accepted_at is None:
        fact.acceptor_id, fact.accepted_at = actor, at
    elif action == Action.REJECT:
        fact.rejected_at = at
    elif action == Action.FILE and fact.filed_at is None:
        fact.filer_id, fact.filed_at = actor, at
    elif action == Action.VOID:
        fact.voided_at = at
    elif action == Action.DISPATCH and fact.dispatched_at is None:
        fact.dispatcher_id, fact.dispatched_at = actor, at
    elif action == Action.APPROVE_SENDBACK:
        fact.sendback_count += 1
    elif action == Action.APPROVE_EXTENSION:
        fact.extension_count += 1
    elif action == Action.APPROVE_SUSPENSION:
        fact.suspended = True
    elif action == Action.RESUME:
        fact.suspended = False
    elif action == Action.REPORT_HANDLED:
        fact.handled_at = at
        fact.handled_on_time = bool(data.get("on_time", True))
    elif action in (Action.REINSPECT_PASS, Action.REINSPECT_FAIL):
        fact.reinspector_id, fact.reinspected_at = actor, at
        fact.reinspected_on_time = _left_on_time(event)
        if action == Action.REINSPECT_FAIL:
            fact.rework_count += 1
            fact.handled_at, fact.handled_on_time = None, None
    elif action in (Action.CLOSE, Action.APPROVE_SELF_HANDLE):
        fact.closer_id, fact.closed_at = actor, at
        fact.outcome = data.get("outcome", "on_time")
    elif action == Action.URGE:
        fact.urge_count += 1
    if action == Action.VERIFY_FAIL:
        fact.rejected_at = at
    fact.last_sequence = event.sequence


def fact_snapshot(fact: CaseFact, case: Case) -> None:
    """Copy what the case row says now (the category and grid rows must be loaded)."""
    code = case.grid.code
    fact.number = case.number
    fact.status = case.status
    fact.source = case.source
    fact.category_id = case.category_id
    fact.category_kind = case.category.kind
    fact.category_major = case.category.major_code
    fact.category_code = case.category.code
    fact.grid_id = case.grid_id
    # District, street and community codes are prefixes of the grid code (both code editions).
    fact.grid_code, fact.community_code = code, code[:12]
    fact.street_code, fact.district_code = code[:9], code[:6]
    fact.lead_department_id = case.lead_department_id
    if fact._state.adding and fact.grid_inspector_id is None:
        fact.grid_inspector_id = _grid_inspector_id(case)
    fact.handling_deadline = case.handling_deadline
    fact.reported_at = case.reported_at
    fact.location = case.location


def _grid_inspector_id(case: Case) -> int | None:
    """Who patrolled the case's grid on the day it was reported (for the miss rate)."""
    from django.utils import timezone

    from departments.models import PatrolAssignment

    return (
        PatrolAssignment.objects.on(timezone.localdate(case.reported_at))
        .filter(grid_id=case.grid_id)
        .order_by("pk")
        .values_list("inspector_id", flat=True)
        .first()
    )


def fact_record(event: CaseEvent) -> None:
    """Bring the case's fact up to date with an event just written (called by event_write,
    inside the transaction that holds the case row locked)."""
    case = event.case
    if event.sequence == 1:
        # The case's first event: its fact is new (the INSERT fails loudly if it is not).
        fact = CaseFact(case_id=case.pk)
        fact_apply(fact, event)
        fact_snapshot(fact, case)
        fact.save(force_insert=True)
        return
    fact = CaseFact.objects.filter(case_id=case.pk).first() or CaseFact(case_id=case.pk)
    fact_apply(fact, event)
    fact_snapshot(fact, case)
    fact.save()


def facts_record_bulk(events: Sequence[CaseEvent]) -> None:
    """Bring the facts of many cases up to date with events just written (called by
    ``events_write_bulk``, inside the transaction that holds every one of those case rows
    locked); the events of one case come in sequence order.

    For stored facts the statements do not grow with the number of cases: one read of the
    facts and one UPDATE of the columns that changed; each gets exactly what
    :func:`fact_record` would give it event by event. A missing fact (a case filed before facts
    existed, on a database not yet rebuilt) is folded from the whole stored log instead, as
    ``rebuild_case_facts`` would, since folding only the new events would store a fact the
    check then reports as drifted: one read of those logs and one INSERT, plus the look-up of
    each such case's grid inspector that every new fact costs (once per case, ever).
    """
    from cases.models import CaseEvent

    by_case: dict[int, list[CaseEvent]] = {}
    for event in events:
        by_case.setdefault(event.case_id, []).append(event)
    if not by_case:
        return
    stored = {fact.case_id: fact for fact in CaseFact.objects.filter(case_id__in=list(by_case))}
    changed: list[CaseFact] = []
    columns: set[str] = set()
    for case_id, case_events in by_case.items():
        fact = stored.get(case_id)
        if fact is None:
            continue
        before = fact.as_dict()
        for event in case_events:
            fact_apply(fact, event)
        fact_snapshot(fact, case_events[0].case)
        moved = {name for name, value in fact.as_dict().items() if before[name] != value}
        if moved:
            changed.append(fact)
            columns |= moved
    if changed:
        # Only the columns that moved (for timer events, last_sequence alone): the others hold
        # what a full save would write again.
        rows_update(changed, sorted(columns))
    missing = [case_id for case_id in by_case if case_id not in stored]
    if missing:
        logs: dict[int, list[CaseEvent]] = {case_id: [] for case_id in missing}
        for event in CaseEvent.objects.filter(case_id__in=missing).order_by("case_id", "sequence"):
            logs[event.case_id].append(event)
        CaseFact.objects.bulk_create(
            fact_build(by_case[case_id][0].case, logs[case_id]) for case_id in missing
        )


def fact_build(case: Case, events: Iterable[CaseEvent]) -> CaseFact:
    """The fact of a case computed from scratch from its stored event log."""
    fact = CaseFact(case_id=case.pk)
    for event in sorted(events, key=lambda e: e.sequence):
        fact_apply(fact, event)
    fact_snapshot(fact, case)
    return fact


def facts_rebuild(*, case_ids: Iterable[int] | None = None, batch_size: int = 500) -> int:
    """Recompute the facts from the event log (all cases, or ``case_ids``); returns how many."""
    from cases.models import Case

    cases = Case.objects.select_related("category", "grid").order_by("pk")
    if case_ids is not None:
        cases = cases.filter(pk__in=list(case_ids))
    done = 0
    ids = list(cases.values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        with transaction.atomic():
            rows = [
                fact_build(case, case.events.all())
                for case in cases.filter(pk__in=chunk).prefetch_related("events")
            ]
            CaseFact.objects.filter(case_id__in=chunk).delete()
            CaseFact.objects.bulk_create(rows)
        done += len(rows)
    return done


def facts_differences(*, case_ids: Iterable[int] | None = None) -> list[tuple[int, str, Any, Any]]:
    """Where the stored facts differ from a rebuild: (case id, field, stored, rebuilt).

    Cases with their facts and their events are two statements; on a live city a step can
    commit between them and show a difference that is not there. So, called outside a
    transaction, it reads both in one repeatable-read snapshot; inside one, the caller's
    transaction decides what it sees."""
    from cases.models import Case

    cases = Case.objects.select_related("category", "grid", "fact").prefetch_related("events")
    if case_ids is not None:
        cases = cases.filter(pk__in=list(case_ids))
    found: list[tuple[int, str, Any, Any]] = []
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for case in cases.order_by("pk"):
            rebuilt = fact_build(case, case.events.all()).as_dict()
            stored = getattr(case, "fact", None)
            if stored is None:
                found.append((case.pk, "*", None, "missing"))
                continue
            for name, value in stored.as_dict().items():
                if value != rebuilt[name]:
                    found.append((case.pk, name, value, rebuilt[name]))
    return found

"""The forms of the workflow actions taken on the desk pages (command centre and departments):
one form per action, each giving its service's keyword arguments. The services validate the
rest (reasons, deadlines, photos) and their messages are shown as they are."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Outcome, Urgency
from cases.photos import photo_upload_read
from cases.workflow import Action
from departments.models import Department

NOTE_ROWS = {"rows": 2}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos from one input; each is decoded by the service's photo pipeline."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ActionForm(forms.Form):
    """The case version the person saw travels with every action: a stale one is a conflict."""

    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, case: Case, action: Action, **kwargs: Any) -> None:
        # Several forms share the drawer: ids carry the action so labels stay unique.
        kwargs.setdefault("auto_id", f"{action.value}-%s")
        super().__init__(*args, **kwargs)
        self.case = case

    @classmethod
    def for_case(cls, case: Case, action: Action) -> ActionForm:
        initial = {"expected_version": case.version, **cls.initial_for(case)}
        return cls(case=case, action=action, initial=initial)

    @classmethod
    def initial_for(cls, case: Case) -> dict[str, Any]:
        return {}

    def arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class NoteForm(ActionForm):
    note = forms.CharField(
        label=_("意见"), required=False, max_length=2000, widget=forms.Textarea(attrs=NOTE_ROWS)
    )


class RequiredNoteForm(ActionForm):
    note = forms.CharField(
        label=_("意见（必填）"), max_length=2000, widget=forms.Textarea(attrs=NOTE_ROWS)
    )


class ReasonForm(ActionForm):
    reason = forms.CharField(
        label=_("理由（必填）"), max_length=2000, widget=forms.Textarea(attrs=NOTE_ROWS)
    )


class AcceptForm(NoteForm):
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, required=False)

    @classmethod
    def initial_for(cls, case: Case) -> dict[str, Any]:
        return {"urgency": case.urgency}


class DispatchForm(NoteForm):
    lead = forms.ModelChoiceField(
        label=_("主办部门"), queryset=Department.objects.none(), empty_label=None
    )
    assisting = forms.ModelMultipleChoiceField(
        label=_("协办部门（可选）"), queryset=Department.objects.none(), required=False
    )
    field_order = ["lead", "assisting", "note", "expected_version"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        departments = Department.objects.active().order_by("name")
        self.fields["lead"].queryset = departments
        self.fields["assisting"].queryset = departments

    @classmethod
    def initial_for(cls, case: Case) -> dict[str, Any]:
        return {
            "lead": case.suggested_department_id,
            "assisting": list(case.suggested_assisting_ids or []),
        }


DATETIME_WIDGET = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ExtensionRequestForm(ReasonForm):
    until = forms.DateTimeField(label=_("申请延期至"), widget=DATETIME_WIDGET)
    field_order = ["until", "reason", "expected_version"]


class ExtensionApproveForm(NoteForm):
    until = forms.DateTimeField(
        label=_("批准期限（留空则按申请）"), required=False, widget=DATETIME_WIDGET
    )

    def arguments(self) -> dict[str, Any]:
        data = super().arguments()
        if data.get("until") is None:
            data.pop("until", None)
        return data


class CloseForm(NoteForm):
    outcome = forms.ChoiceField(
        label=_("结案类型"),
        required=False,
        choices=[("", _("按时限自动判定"))] + [c for c in Outcome.choices if c[0]],
    )

    def arguments(self) -> dict[str, Any]:
        data = super().arguments()
        data["outcome"] = data.get("outcome") or None
        return data


class HandledForm(NoteForm):
    photos = MultiplePhotoField(
        label=_("处置后照片（至少一张）"), help_text=_("JPEG、PNG 或 WebP，最多 9 张。")
    )
    field_order = ["photos", "note", "expected_version"]

    def arguments(self) -> dict[str, Any]:
        data = super().arguments()
        uploads = data["photos"]
        data["photos"] = [
            photo_upload_read(upload, index=i) for i, upload in enumerate(uploads, start=1)
        ]
        return data


# The actions the desks take. Inspectors' on-site actions live on the mobile pages.
ACTION_FORMS: dict[Action, type[ActionForm]] = {
    Action.SEND_FOR_VERIFICATION: NoteForm,
    Action.ACCEPT: AcceptForm,
    Action.REJECT: ReasonForm,
    Action.APPROVE_SELF_HANDLE: NoteForm,
    Action.DENY_SELF_HANDLE: RequiredNoteForm,
    Action.FILE: NoteForm,
    Action.VOID: ReasonForm,
    Action.DISPATCH: DispatchForm,
    Action.REQUEST_SENDBACK: ReasonForm,
    Action.APPROVE_SENDBACK: NoteForm,
    Action.DENY_SENDBACK: RequiredNoteForm,
    Action.REQUEST_EXTENSION: ExtensionRequestForm,
    Action.APPROVE_EXTENSION: ExtensionApproveForm,
    Action.DENY_EXTENSION: RequiredNoteForm,
    Action.REQUEST_SUSPENSION: ReasonForm,
    Action.APPROVE_SUSPENSION: NoteForm,
    Action.DENY_SUSPENSION: RequiredNoteForm,
    Action.RESUME: NoteForm,
    Action.REPORT_HANDLED: HandledForm,
    Action.SEND_FOR_REINSPECTION: NoteForm,
    Action.CLOSE: CloseForm,
    Action.URGE: RequiredNoteForm,
}

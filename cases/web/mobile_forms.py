"""Forms of the inspector's phone workspace: the answer to a verification or re-inspection task
and the filter of my reports (the API's CaseFilter, with the fields a phone shows)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from cases.filters import CaseFilter
from cases.photos import photo_upload_read
from cases.web.mobile_selectors import TASK_ACTIONS

MAX_PHOTOS = 9


class CameraInput(forms.ClearableFileInput):
    """Several photos at once, straight from the rear camera where the phone offers it."""

    allow_multiple_selected = True

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            {"accept": "image/*", "capture": "environment", "data-shrink": "", **(attrs or {})}
        )


class PhotosField(forms.FileField):
    widget = CameraInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(
                _("最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS}, code="too_many_photos"
            )
        return [super(PhotosField, self).clean(f, initial) for f in files]


class TaskAnswerForm(forms.Form):
    action = forms.ChoiceField(choices=[(a.value, a.label) for a in TASK_ACTIONS])
    note = forms.CharField(
        label=_("核查意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不属实或未通过时必须填写理由。"),
    )
    photos = PhotosField(label=_("现场照片"), required=False)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def photo_bytes(self) -> list[bytes]:
        uploads = self.cleaned_data["photos"]
        return [photo_upload_read(upload, index=i) for i, upload in enumerate(uploads, start=1)]


class OneStatusSelect(forms.Select):
    """A plain select feeding CaseFilter's multiple-status field (a phone picks one)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return [v for v in data.getlist(name) if v] if hasattr(data, "getlist") else []


# Of CaseFilter's fields, the ones a phone shows; any other field still filters from the URL.
REPORT_FILTER_FIELDS = ("status", "number", "reported_after", "reported_before")


class MyReportFilter(CaseFilter):
    """CaseFilter with phone-friendly widgets: one status at a time and date pickers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        status = self.form.fields["status"]
        status.widget = OneStatusSelect(choices=[("", _("全部状态")), *status.choices])
        for name in ("reported_after", "reported_before"):
            self.form.fields[name].widget = forms.DateInput(attrs={"type": "date"})

    def shown_fields(self) -> list[forms.BoundField]:
        return [self.form[name] for name in REPORT_FILTER_FIELDS]

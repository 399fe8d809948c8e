"""Admin pages: the published services with their attributes, client applications (a key is
shown once, on creation; revoking is an action) and the read-only record of posted requests."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridcity.errors import ValidationFailed
from open311 import services
from open311.models import Attribute, Client, Request, Service


class AttributeInline(admin.StackedInline):
    model = Attribute
    extra = 0
    fields = [
        ("code", "datatype", "target"),
        ("required", "variable", "order"),
        "description",
        "datatype_description",
        "values",
    ]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["code", "display_name", "category", "group", "order", "is_published"]
    list_filter = ["is_published", "group", "category__kind"]
    list_editable = ["order", "is_published"]
    search_fields = ["code", "name", "category__name", "keywords"]
    autocomplete_fields = ["category"]
    list_select_related = ["category"]
    inlines = [AttributeInline]


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name", "contact", "account"]

    def clean_account(self) -> Any:
        account = self.cleaned_data["account"]
        try:
            services.client_account_check(account=account)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from exc
        return account


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    form = ClientForm
    list_display = ["name", "key_prefix", "account", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "key_prefix", "contact"]
    readonly_fields = ["key_prefix", "created_at", "revoked_at"]
    autocomplete_fields = ["account"]
    actions = ["revoke_selected"]

    def save_model(self, request: HttpRequest, obj: Client, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        raw = services.client_key_assign(obj)
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            _("“%(name)s”的 API 密钥（只显示这一次，请立即交给对方）：%(key)s")
            % {"name": obj.name, "key": raw},
            messages.WARNING,
        )

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("吊销所选客户端的密钥"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        for client in queryset:
            services.client_revoke(client=client)
        self.message_user(request, _("已吊销 %(n)d 个客户端。") % {"n": queryset.count()})


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    """What clients posted, contact included: for administrators only, never changed here."""

    list_display = ["case", "client", "service", "created_at"]
    list_filter = ["client", "service"]
    search_fields = ["case__number", "token"]
    list_select_related = ["case", "client", "service"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

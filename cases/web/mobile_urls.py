"""Pages of the mobile workspace."""

from django.urls import path  # noqa: F401

app_name = "mobile"
urlpatterns: list = []

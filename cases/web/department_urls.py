"""Pages of the department workspace."""

from django.urls import path  # noqa: F401

app_name = "department"
urlpatterns: list = []

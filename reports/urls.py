"""Routes of the reports app."""

from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.home, name="home"),
    path("by/<slug:dimension>/", views.table, name="table"),
    path("map/", views.heatmap, name="map"),
    path("cases/", views.case_list, name="cases"),
    path("exports/", views.export_create, name="export_create"),
    path("exports/<int:export_id>/", views.export_detail, name="export_detail"),
    path("exports/<int:export_id>/status/", views.export_status, name="export_status"),
    path("exports/<int:export_id>/download/", views.export_download, name="export_download"),
]

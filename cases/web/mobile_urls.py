"""Pages of the mobile workspace."""

from django.urls import path

from cases.web import mobile

app_name = "mobile"
urlpatterns = [
    path("", mobile.home, name="home"),
    path("sw.js", mobile.service_worker, name="service-worker"),
    path("locate/", mobile.locate, name="locate"),
    path("tasks/", mobile.tasks, name="tasks"),
    path("tasks/<int:case_id>/", mobile.task_detail, name="task"),
    path("reports/", mobile.reports, name="reports"),
    path("photos/<int:photo_id>/", mobile.photo, name="photo"),
]

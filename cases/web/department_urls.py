"""Pages of the department workspace."""

from django.urls import path

from cases.web import department

app_name = "department"
urlpatterns = [
    path("", department.home, name="home"),
    path("queue/", department.queue_list, name="queue"),
    path("changes/", department.changes, name="changes"),
    path("cases/<int:pk>/", department.views["drawer"], name="drawer"),
    path("cases/<int:pk>/<str:action>/", department.views["action"], name="action"),
    path("photos/<int:pk>/", department.views["photo"], name="photo"),
]

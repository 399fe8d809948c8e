"""Pages of the dispatch workspace."""

from django.urls import path

from cases.web import dispatch

app_name = "dispatch"
urlpatterns = [
    path("", dispatch.home, name="home"),
    path("queue/", dispatch.queue_list, name="queue"),
    path("map.geojson", dispatch.map_data, name="map"),
    path("changes/", dispatch.changes, name="changes"),
    path("bulk-dispatch/", dispatch.bulk_dispatch, name="bulk-dispatch"),
    path("cases/<int:pk>/", dispatch.views["drawer"], name="drawer"),
    path("cases/<int:pk>/<str:action>/", dispatch.views["action"], name="action"),
    path("photos/<int:pk>/", dispatch.views["photo"], name="photo"),
]

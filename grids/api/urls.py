"""API routes of this app, mounted under /api/v1/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from grids.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("areas", views.AreaViewSet, basename="area")
router.register("grids", views.GridViewSet, basename="grid")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("components", views.ComponentViewSet, basename="component")

urlpatterns = [
    path(
        "tiles/grids/<int:z>/<int:x>/<int:y>.mvt",
        views.GridTileView.as_view(),
        name="tile-grids",
    ),
    path(
        "tiles/components/<int:z>/<int:x>/<int:y>.mvt",
        views.ComponentTileView.as_view(),
        name="tile-components",
    ),
    *router.urls,
]

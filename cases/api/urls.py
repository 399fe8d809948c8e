"""API routes of this app, mounted under /api/v1/."""

from rest_framework.routers import DefaultRouter

from cases.api.views import CaseViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("cases", CaseViewSet, basename="case")

urlpatterns = router.urls

"""API routes of this app, mounted under /api/v1/."""

from rest_framework.routers import DefaultRouter

from departments.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("departments", views.DepartmentViewSet, basename="department")
router.register(
    "responsibility-rules", views.ResponsibilityRuleViewSet, basename="responsibility-rule"
)
router.register("time-limits", views.TimeLimitViewSet, basename="time-limit")
router.register("notices", views.NoticeViewSet, basename="notice")

urlpatterns = router.urls

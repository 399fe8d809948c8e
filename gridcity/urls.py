"""Root URL configuration: each app's pages and API are included under a stable prefix."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from gridcity import health, views

api_v1 = [
    path("", include("grids.api.urls")),
    path("", include("departments.api.urls")),
    path("", include("cases.api.urls")),
    path("system/heartbeats/", views.HeartbeatCreateView.as_view(), name="heartbeat-create"),
    path(
        "system/heartbeats/<int:pk>/", views.HeartbeatDetailView.as_view(), name="heartbeat-detail"
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("m/", include("cases.web.mobile_urls")),
    path("dispatch/", include("cases.web.dispatch_urls")),
    path("dept/", include("cases.web.department_urls")),
    path("reports/", include("reports.urls")),
    path("open311/", include("open311.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

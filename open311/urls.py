"""Routes of the open311 app: discovery and GeoReport v2 under /open311/, the format chosen by
the .json / .xml suffix. Anything else under /open311/ answers the specification's 404."""

from django.urls import re_path

from open311 import views
from open311.media import SIGNED_ID_PATTERN

app_name = "open311"

FMT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^v2/services" + FMT, views.service_list, name="services"),
    re_path(
        r"^v2/services/(?P<code>[A-Za-z0-9_.-]+?)" + FMT,
        views.service_definition,
        name="service-definition",
    ),
    re_path(r"^v2/requests" + FMT, views.requests, name="requests"),
    re_path(r"^v2/requests/(?P<number>[0-9]{1,20})" + FMT, views.request_detail, name="request"),
    re_path(r"^v2/tokens/(?P<token>[A-Za-z0-9_-]{1,64})" + FMT, views.token_detail, name="token"),
    re_path(r"^v2/servicerequestupdates" + FMT, views.request_updates, name="updates"),
    re_path(
        rf"^v2/media/(?P<token>{SIGNED_ID_PATTERN})\.(?P<ext>jpg|png|webp)$",
        views.media,
        name="media",
    ),
    re_path(r"^.*?(?:\.(?P<fmt>json|xml))?$", views.not_found, name="not-found"),
]

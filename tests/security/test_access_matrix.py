"""Every route the URL configuration defines, against every role: what a GET answers.

The matrix below has one entry per route. A route added without an entry fails
`test_access_matrix_covers_every_route`, so whoever adds a page or endpoint decides who may open
it. Two rules keep it short: a DRF format-suffix route (`.../cases/1.json`) answers as its base
route does, and the admin site (one Django app, staff only) is one entry checked on every admin
route whose objects the small world has.

"Allowed" means the GET answers the entry's `ok` status (200 unless said); "refused" means a
redirect to a login page, 403 or 404 (a case out of scope is "not found", never "forbidden").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from cases import services
from cases.api.views import ENDPOINTS as CASE_ACTIONS
from cases.models import CasePhoto
from open311.media import SALT as MEDIA_SALT
from tests.security.conftest import ANONYMOUS, ROLES, Sample

EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {ANONYMOUS}
COMMAND_CENTRE = frozenset({"acceptor", "shift_leader", "dispatcher"})
DEPARTMENT = frozenset({"handler", "department_lead"})
STAFF = frozenset({"administrator"})
NOBODY: frozenset[str] = frozenset()
# Workspaces: administrators may open every one.
CENTRE_DESK = COMMAND_CENTRE | STAFF
DEPARTMENT_DESK = DEPARTMENT | STAFF
EVALUATION = frozenset({"supervisor", "department_lead"}) | COMMAND_CENTRE | STAFF

FORMAT_SUFFIX = r"\.(?P<format>[a-z0-9]+)/?$"


@dataclass(frozen=True)
class Entry:
    """Who may GET the route, what they get, and the URL arguments from the small world."""

    allowed: frozenset[str]
    ok: int = 200
    kwargs: Callable[[Sample], dict[str, Any]] = field(default=lambda s: {})
    query: str = ""
    why: str = ""
    # Statuses that count as allowed besides `ok` (the admin site: a model the role may not
    # manage answers 403 to staff).
    also_ok: frozenset[int] = frozenset()
    # A role that gets something else than allowed/refused (the admin login when signed in).
    special: tuple[tuple[str, int], ...] = ()


def _case(s: Sample) -> dict[str, Any]:
    return {"pk": s.case}


# Keyed by the route's full pattern (as `manage.py show_urls` would print it).
MATRIX: dict[str, Entry] = {
    "": Entry(SIGNED_IN),
    "healthz": Entry(
        EVERYONE,
        also_ok=frozenset({503}),
        why="public probe, no data: 200, or 503 naming what is down (a worker may not run here)",
    ),
    "i18n/setlang/": Entry(EVERYONE, ok=302, why="the language switch; GET goes back"),
    "accounts/login/": Entry(EVERYONE),
    "accounts/logout/": Entry(NOBODY, why="POST only (405 to everyone)"),
    "accounts/password_change/": Entry(SIGNED_IN),
    "accounts/password_change/done/": Entry(SIGNED_IN),
    "accounts/password_reset/": Entry(EVERYONE),
    "accounts/password_reset/done/": Entry(EVERYONE),
    "accounts/reset/<uidb64>/<token>/": Entry(
        EVERYONE, kwargs=lambda s: {"uidb64": "MQ", "token": "bad-token"}, why="link invalid"
    ),
    "accounts/reset/done/": Entry(EVERYONE),
    # ---- city model (read by everyone signed in)
    "api/v1/tiles/grids/<int:z>/<int:x>/<int:y>.mvt": Entry(
        SIGNED_IN, kwargs=lambda s: {"z": 14, "x": 13670, "y": 6338}
    ),
    "api/v1/tiles/components/<int:z>/<int:x>/<int:y>.mvt": Entry(
        SIGNED_IN, kwargs=lambda s: {"z": 16, "x": 54681, "y": 25352}
    ),
    "api/v1/^areas/$": Entry(SIGNED_IN),
    "api/v1/^areas/(?P<code>[^/.]+)/$": Entry(SIGNED_IN, kwargs=lambda s: {"code": "370202"}),
    "api/v1/^grids/$": Entry(SIGNED_IN),
    "api/v1/^grids/(?P<pk>[^/.]+)/$": Entry(
        SIGNED_IN, kwargs=lambda s: {"pk": s.world.grids[0].pk}
    ),
    "api/v1/^categories/$": Entry(SIGNED_IN),
    "api/v1/^categories/(?P<pk>[^/.]+)/$": Entry(
        SIGNED_IN, kwargs=lambda s: {"pk": s.world.matter.pk}
    ),
    "api/v1/^components/$": Entry(SIGNED_IN),
    "api/v1/^components/(?P<identifier>[^/.]+)/$": Entry(
        NOBODY, kwargs=lambda s: {"identifier": "none"}, why="the small world has no component"
    ),
    # ---- departments
    "api/v1/^departments/$": Entry(SIGNED_IN),
    "api/v1/^departments/(?P<pk>[^/.]+)/$": Entry(
        SIGNED_IN, kwargs=lambda s: {"pk": s.world.sanitation.pk}
    ),
    "api/v1/^responsibility-rules/$": Entry(SIGNED_IN),
    "api/v1/^responsibility-rules/dry-run/$": Entry(NOBODY, why="POST only"),
    "api/v1/^responsibility-rules/evaluate/$": Entry(NOBODY, why="needs query; see API tests"),
    "api/v1/^responsibility-rules/(?P<pk>[^/.]+)/$": Entry(
        NOBODY, kwargs=lambda s: {"pk": 0}, why="the small world has no rule"
    ),
    "api/v1/^time-limits/$": Entry(SIGNED_IN),
    "api/v1/^time-limits/(?P<pk>[^/.]+)/$": Entry(
        NOBODY, kwargs=lambda s: {"pk": 0}, why="no time limit row in the small world"
    ),
    "api/v1/^notices/$": Entry(SIGNED_IN, why="each person's own notices"),
    "api/v1/^notices/(?P<pk>[0-9]+)/read/$": Entry(
        NOBODY, kwargs=lambda s: {"pk": s.notice}, why="POST only"
    ),
    # ---- cases
    "api/v1/^cases/$": Entry(SIGNED_IN, why="scoped list; may be empty"),
    "api/v1/^cases/(?P<pk>[0-9]+)/$": Entry(
        COMMAND_CENTRE | {"inspector", "supervisor", "administrator"},
        kwargs=_case,
        why="the inspector patrols its grid; the sanitation department has not got it",
    ),
    "api/v1/^cases/(?P<pk>[0-9]+)/photos/(?P<photo_id>[0-9]+)/$": Entry(
        COMMAND_CENTRE | {"inspector", "supervisor", "administrator"},
        kwargs=lambda s: {"pk": s.case, "photo_id": s.photo},
        why="a photo goes with its case: whoever may see the case",
    ),
    "api/v1/system/heartbeats/": Entry(NOBODY, why="POST only, staff"),
    "api/v1/system/heartbeats/<int:pk>/": Entry(STAFF, kwargs=lambda s: {"pk": s.heartbeat}),
    "api/v1/schema/": Entry(SIGNED_IN, why="maps every endpoint: for signed-in users only"),
    "api/v1/docs/": Entry(SIGNED_IN, why="the schema's page: for signed-in users only"),
    # ---- inspector's phone
    "m/": Entry(frozenset({"inspector"})),
    "m/sw.js": Entry(EVERYONE, why="the service worker script itself holds no data"),
    "m/locate/": Entry(frozenset({"inspector"}), query="lon=120.381&lat=36.061"),
    "m/tasks/": Entry(frozenset({"inspector"})),
    "m/tasks/<int:case_id>/": Entry(frozenset({"inspector"}), kwargs=lambda s: {"case_id": s.task}),
    "m/reports/": Entry(frozenset({"inspector"})),
    "m/photos/<int:photo_id>/": Entry(
        frozenset({"inspector"}), kwargs=lambda s: {"photo_id": s.photo}
    ),
    # ---- command centre
    "dispatch/": Entry(CENTRE_DESK),
    "dispatch/queue/": Entry(CENTRE_DESK),
    "dispatch/map.geojson": Entry(CENTRE_DESK),
    "dispatch/changes/": Entry(CENTRE_DESK),
    "dispatch/bulk-dispatch/": Entry(NOBODY, why="POST only"),
    "dispatch/cases/<int:pk>/": Entry(CENTRE_DESK, kwargs=_case),
    "dispatch/cases/<int:pk>/<str:action>/": Entry(
        CENTRE_DESK, ok=405, kwargs=lambda s: {"pk": s.case, "action": "dispatch"}
    ),
    "dispatch/photos/<int:pk>/": Entry(CENTRE_DESK, kwargs=lambda s: {"pk": s.photo}),
    # ---- departments' queue
    "dept/": Entry(DEPARTMENT_DESK),
    "dept/queue/": Entry(DEPARTMENT_DESK),
    "dept/changes/": Entry(DEPARTMENT_DESK),
    "dept/cases/<int:pk>/": Entry(DEPARTMENT_DESK, kwargs=lambda s: {"pk": s.handling}),
    "dept/cases/<int:pk>/<str:action>/": Entry(
        DEPARTMENT_DESK, ok=405, kwargs=lambda s: {"pk": s.handling, "action": "report_handled"}
    ),
    "dept/photos/<int:pk>/": Entry(DEPARTMENT_DESK, kwargs=lambda s: {"pk": s.handling_photo}),
    # ---- evaluation
    "reports/": Entry(EVALUATION),
    "reports/by/<slug:dimension>/": Entry(EVALUATION, kwargs=lambda s: {"dimension": "department"}),
    "reports/map/": Entry(EVALUATION),
    "reports/cases/": Entry(EVALUATION, query="measure=reports"),
    "reports/exports/": Entry(NOBODY, why="POST only"),
    "reports/exports/<int:export_id>/": Entry(
        NOBODY, kwargs=lambda s: {"export_id": 0}, why="exports are their owner's only"
    ),
    "reports/exports/<int:export_id>/status/": Entry(NOBODY, kwargs=lambda s: {"export_id": 0}),
    "reports/exports/<int:export_id>/download/": Entry(NOBODY, kwargs=lambda s: {"export_id": 0}),
    # ---- Open311: public by design (GET), keys for POST
    r"open311/^discovery\.(?P<fmt>json|xml)$": Entry(EVERYONE, kwargs=lambda s: {"fmt": "json"}),
    r"open311/^v2/services\.(?P<fmt>json|xml)$": Entry(EVERYONE, kwargs=lambda s: {"fmt": "json"}),
    r"open311/^v2/services/(?P<code>[A-Za-z0-9_.-]+?)\.(?P<fmt>json|xml)$": Entry(
        NOBODY, kwargs=lambda s: {"code": "none", "fmt": "json"}, why="no published service"
    ),
    r"open311/^v2/requests\.(?P<fmt>json|xml)$": Entry(EVERYONE, kwargs=lambda s: {"fmt": "json"}),
    r"open311/^v2/requests/(?P<number>[0-9]{1,20})\.(?P<fmt>json|xml)$": Entry(
        NOBODY,
        kwargs=lambda s: {"number": "1", "fmt": "json"},
        why="unpublished cases do not exist for the public",
    ),
    r"open311/^v2/tokens/(?P<token>[A-Za-z0-9_-]{1,64})\.(?P<fmt>json|xml)$": Entry(
        NOBODY, kwargs=lambda s: {"token": "unknown", "fmt": "json"}
    ),
    r"open311/^v2/servicerequestupdates\.(?P<fmt>json|xml)$": Entry(
        EVERYONE, kwargs=lambda s: {"fmt": "json"}
    ),
    r"open311/^v2/media/(?P<token>[0-9]{1,20}:[A-Za-z0-9_-]{20,100})"
    r"\.(?P<ext>jpg|png|webp)$": Entry(
        NOBODY,
        kwargs=lambda s: {
            "token": signing.Signer(salt=MEDIA_SALT).sign(str(s.photo)),
            "ext": "jpg",
        },
        why="validly signed, but the small world publishes no Open311 service, so its cases and "
        "their photos are not public; tests/open311 follow a published request's photo",
    ),
    r"open311/^.*?(?:\.(?P<fmt>json|xml))?$": Entry(
        NOBODY, kwargs=lambda s: {"fmt": "json"}, why="anything else: the spec's 404"
    ),
}
ADMIN = Entry(
    STAFF,
    also_ok=frozenset({403}),
    why="the admin site: staff only; per-model permissions of the role decide 200 or 403",
)
ADMIN_SPECIAL = {
    "admin/login/": Entry(EVERYONE, special=(("administrator", 302),), why="signed in: index"),
    "admin/logout/": Entry(
        NOBODY,
        special=tuple((role, 302) for role in sorted(EVERYONE - STAFF)),
        why="POST only: 405 to staff, the others are sent away from the admin site",
    ),
    "admin/autocomplete/": Entry(NOBODY, why="needs its parameters: 403 without them"),
}

# Each workflow action is a POST endpoint; GET answers 405 once signed in. Who may POST which
# action from which status is the workflow table's, walked pair by pair in tests/cases.
for _endpoint in CASE_ACTIONS:
    _action = _endpoint.action.value.replace("_", "-")
    MATRIX[f"api/v1/^cases/(?P<pk>[0-9]+)/{_action}/$"] = Entry(
        SIGNED_IN, ok=405, kwargs=_case, why="POST only"
    )


@dataclass(frozen=True)
class Route:
    pattern: str
    name: str
    callback: Callable[..., Any]


def all_routes() -> Iterator[Route]:
    def walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Route]:
        for item in resolver.url_patterns:
            if isinstance(item, URLResolver):
                inner = f"{namespace}{item.namespace}:" if item.namespace else namespace
                yield from walk(item, prefix + str(item.pattern), inner)
            elif isinstance(item, URLPattern):
                name = namespace + (item.name or "")
                yield Route(prefix + str(item.pattern), name, item.callback)

    yield from walk(get_resolver(), "", "")


def entry_for(route: Route) -> Entry | None:
    if route.pattern.startswith("admin/"):
        return ADMIN_SPECIAL.get(route.pattern, ADMIN)
    base = re.sub(re.escape(FORMAT_SUFFIX) + "$", "/$", route.pattern)
    return MATRIX.get(base)


def test_access_matrix_covers_every_route():
    missing = [route.pattern for route in all_routes() if entry_for(route) is None]
    stale = set(MATRIX) - {route.pattern for route in all_routes()}

    assert missing == [], "routes without an entry in the access matrix"
    assert stale == set(), "matrix entries for routes that no longer exist"


# ---------------------------------------------------------------- the walk
def _url(route: Route, entry: Entry, sample: Sample) -> str | None:
    from django.urls import reverse

    kwargs = entry.kwargs(sample)
    if re.search(re.escape(FORMAT_SUFFIX) + "$", route.pattern):
        kwargs = {**kwargs, "format": "json"}
    try:
        return reverse(route.name, kwargs=kwargs) + (f"?{entry.query}" if entry.query else "")
    except Exception:
        return None


def _refused(response: Any) -> bool:
    if response.status_code in (403, 404):
        return True
    if response.status_code == 302:
        return "login" in response["Location"]
    return response.status_code == 401


def _admin_url(route: Route, sample: Sample) -> str | None:
    """An admin route with the arguments the small world can give it."""
    from django.urls import reverse

    model_admin = getattr(route.callback, "model_admin", None)
    if not route.name.removeprefix("admin:"):
        return None  # the catch-all that sends unknown admin paths to the index
    if "<path:object_id>" in route.pattern:
        if model_admin is None:
            return None
        obj = model_admin.model._default_manager.order_by("pk").first()
        if obj is None:
            return None
        return reverse(route.name, kwargs={"object_id": obj.pk})
    if "<" in route.pattern or "(?P<" in route.pattern:
        return None  # shortcuts, app index and password change: covered by the changelists
    return reverse(route.name)


def observed(client: Client, url: str) -> Any:
    return client.get(url, HTTP_ACCEPT="text/html,application/json")


def test_access_matrix_every_role_gets_what_its_entry_says(sample):
    clients = {}
    for role, user in sample.users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        clients[role] = client
    wrong: list[str] = []

    for route in all_routes():
        entry = entry_for(route)
        assert entry is not None
        url = (
            _admin_url(route, sample)
            if route.pattern.startswith("admin/")
            else _url(route, entry, sample)
        )
        if url is None:
            continue
        for role, client in clients.items():
            response = observed(client, url)
            special = dict(entry.special)
            if role in special:
                good = response.status_code == special[role]
            elif role in entry.allowed:
                good = response.status_code in {entry.ok, *entry.also_ok}
            elif not entry.allowed and response.status_code == 405:
                good = True  # POST-only for everyone
            else:
                good = _refused(response)
            if not good:
                wrong.append(f"{role:16} GET {url} -> {response.status_code}")

    assert wrong == [], "\n".join(wrong)


# ---------------------------------------------------------------- scope within a role
def test_access_another_departments_case_is_not_found(sample):
    """The street office's handler holds the handler role, but not the sanitation case."""
    world = sample.world
    client = Client()
    client.force_login(world.street_handler)
    own = Client()
    own.force_login(world.handler)
    urls = [
        f"/dept/cases/{sample.handling}/",
        f"/dept/photos/{sample.handling_photo}/",
        f"/api/v1/cases/{sample.handling}/",
    ]

    foreign = {url: client.get(url).status_code for url in urls}
    mine = {url: own.get(url).status_code for url in urls}

    assert set(foreign.values()) <= {403, 404}, foreign
    assert set(mine.values()) == {200}, mine


def test_access_another_grids_report_is_not_found(sample):
    """An inspector sees the reports of the grids patrolled, not the neighbour's."""
    world = sample.world
    neighbour = Client()
    neighbour.force_login(world.other_inspector)
    urls = [
        f"/api/v1/cases/{sample.case}/",
        f"/m/photos/{sample.photo}/",
        f"/m/tasks/{sample.task}/",
    ]

    answers = {url: neighbour.get(url) for url in urls}

    assert answers[urls[0]].status_code == 404
    assert answers[urls[1]].status_code in (403, 404)
    # A task of another grid sends the inspector back to the own task list.
    assert answers[urls[2]].status_code == 302
    assert answers[urls[2]]["Location"].endswith("/m/tasks/")


def test_access_api_photo_links_go_through_the_case_scope(sample):
    """The API's photo links (image and thumbnail) lead to the scoped endpoint, not MEDIA_URL:
    they work for whoever sees the case and are not found for another department's handler,
    nor through a case the photo is not of."""
    world = sample.world
    services.photo_thumbnail_make(photo_id=sample.handling_photo)
    own = Client()
    own.force_login(world.handler)
    foreign = Client()
    foreign.force_login(world.street_handler)
    [photo] = [
        p
        for p in own.get(f"/api/v1/cases/{sample.handling}/").json()["photos"]
        if p["id"] == sample.handling_photo
    ]
    links = [photo["image"], photo["thumbnail"]]
    through_another_case = f"/api/v1/cases/{sample.handling}/photos/{sample.photo}/"

    mine = [own.get(link) for link in links]
    theirs = [foreign.get(link) for link in links]
    anonymous = [Client().get(link) for link in links]

    stored = CasePhoto.objects.get(pk=sample.handling_photo)
    assert links == [
        f"http://testserver/api/v1/cases/{sample.handling}/photos/{stored.pk}/",
        f"http://testserver/api/v1/cases/{sample.handling}/photos/{stored.pk}/?size=thumbnail",
    ]
    assert [r.status_code for r in mine] == [200, 200]
    with stored.image.open("rb") as image, stored.thumbnail.open("rb") as thumbnail:
        assert [b"".join(r.streaming_content) for r in mine] == [image.read(), thumbnail.read()]
    assert mine[0]["Content-Type"] == stored.content_type
    assert mine[0]["Cache-Control"] == "private, max-age=3600"
    assert [r.status_code for r in theirs] == [404, 404]
    assert theirs[0].json()["code"] == "photo_not_found"
    assert {r.status_code for r in anonymous} <= {401, 403}
    assert own.get(through_another_case).status_code == 404


def test_access_api_photo_answers_the_file_whatever_the_accept_header(sample):
    client = Client()
    client.force_login(sample.world.dispatcher)
    url = f"/api/v1/cases/{sample.case}/photos/{sample.photo}/"

    picture = client.get(url, HTTP_ACCEPT="image/avif,image/webp,image/*")
    missing = client.get(url.replace(str(sample.photo), "0"), HTTP_ACCEPT="image/*")

    assert picture.status_code == 200 and picture["Content-Type"] == "image/jpeg"
    assert missing.status_code == 404 and missing.json()["code"] == "photo_not_found"


def test_access_api_schema_needs_a_signed_in_user_and_open311_discovery_does_not(sample):
    signed_in = Client()
    signed_in.force_login(sample.world.inspector)

    anonymous = [Client().get(url) for url in ("/api/v1/schema/", "/api/v1/docs/")]
    schema = signed_in.get("/api/v1/schema/?format=json")
    discovery = Client().get("/open311/discovery.json")

    assert {r.status_code for r in anonymous} <= {401, 403}
    assert all(b"/api/v1/cases/" not in r.content for r in anonymous)
    assert schema.status_code == 200 and "/api/v1/cases/" in schema.json()["paths"]
    assert discovery.status_code == 200


CONTACT_ROLES = frozenset({"acceptor", "shift_leader", "dispatcher", "administrator"})
PHONE = "13800000000"  # the public reporter of tests.factories.cases.case_in_state


def test_access_citizens_contact_details_only_reach_the_command_centre(sample):
    """Every page and endpoint that shows the public report: the caller's phone number appears
    for the command centre (who call back) and administrators only."""
    urls = [
        f"/api/v1/cases/{sample.task}/",
        "/api/v1/cases/",
        f"/dispatch/cases/{sample.task}/",
        "/dispatch/queue/",
        "/dispatch/map.geojson",
        f"/m/tasks/{sample.task}/",
        "/m/tasks/",
        f"/dept/cases/{sample.task}/",
        "/reports/cases/?measure=reports",
        "/open311/v2/requests.json",
    ]
    shown: dict[str, list[str]] = {}

    for role, user in sample.users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        for url in urls:
            response = client.get(url)
            if PHONE in response.content.decode(errors="replace"):
                shown.setdefault(role, []).append(url)

    assert set(shown) <= CONTACT_ROLES, shown
    assert f"/api/v1/cases/{sample.task}/" in shown.get("acceptor", [])

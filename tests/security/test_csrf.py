"""CSRF on every form: each page every role may open is read, every form that POSTs (and every
htmx `hx-post`) must carry the token, and a POST to its target without the token is refused."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

from django.test import Client

from tests.security.conftest import Sample
from tests.security.test_access_matrix import all_routes, entry_for

FORM = re.compile(r"<form\b(?P<attrs>[^>]*)>(?P<body>.*?)</form>", re.S | re.I)
POSTING = re.compile(r"""method\s*=\s*["']?post""", re.I)
ACTION = re.compile(r"""\baction\s*=\s*["']([^"']*)["']""", re.I)
HX_POST = re.compile(r"""\bhx-post\s*=\s*["']([^"']+)["']""", re.I)
TOKEN = 'name="csrfmiddlewaretoken"'


def _pages(sample: Sample) -> list[tuple[str, str]]:
    """(role, url) of every non-admin page a role may open, plus the admin's change form."""
    from tests.security.test_access_matrix import _url

    pages = []
    for route in all_routes():
        entry = entry_for(route)
        if route.pattern.startswith("admin/") or entry is None or entry.ok != 200:
            continue
        url = _url(route, entry, sample)
        if url is None:
            continue
        pages += [(role, url) for role in sorted(entry.allowed)]
    pages.append(("administrator", f"/admin/departments/department/{sample.world.centre.pk}/"))
    pages.append(("anonymous", "/admin/login/"))
    return pages


def test_csrf_every_posting_form_carries_the_token_and_its_target_refuses_without(sample):
    clients: dict[str, Client] = {}
    strict: dict[str, Client] = {}
    for role, user in sample.users.items():
        clients[role], strict[role] = Client(), Client(enforce_csrf_checks=True)
        if user is not None:
            clients[role].force_login(user)
            strict[role].force_login(user)
    missing: list[str] = []
    targets: set[tuple[str, str]] = set()

    for role, url in _pages(sample):
        response = clients[role].get(url, follow=True)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        page = response.content.decode(errors="replace")
        for form in FORM.finditer(page):
            if not POSTING.search(form["attrs"]):
                continue
            action = ACTION.search(form["attrs"])
            target = urljoin(url, html.unescape(action.group(1))) if action else url
            targets.add((role, target))
            if TOKEN not in form["body"]:
                missing.append(f"{role} {url}: form to {target} has no CSRF token")
        for hx in HX_POST.finditer(page):
            targets.add((role, urljoin(url, html.unescape(hx.group(1)))))
            if "X-CSRFToken" not in page and TOKEN not in page:
                missing.append(f"{role} {url}: hx-post to {hx.group(1)} sends no CSRF token")
    refused = {
        (role, target): strict[role].post(target, {"probe": "1"}).status_code
        for role, target in sorted(targets)
    }

    assert missing == [], "\n".join(missing)
    assert len(targets) >= 10, targets  # the walk found the forms
    accepted = {key: code for key, code in refused.items() if code != 403}
    assert accepted == {}, accepted


def test_csrf_api_write_with_a_session_and_no_token_is_refused(sample):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sample.world.acceptor)

    response = client.post(
        f"/api/v1/cases/{sample.case}/void/", {"reason": "x"}, content_type="application/json"
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]

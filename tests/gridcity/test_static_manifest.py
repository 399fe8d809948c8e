"""Pages render with the production static storage (hashed names from collectstatic's manifest),
which refuses any static path that collectstatic did not produce; the other tests use plain
storage, so only this test catches such a path."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.factories.cases import build_world

PAGES = {
    "inspector": ["/", "/m/", "/m/tasks/", "/m/reports/", "/m/sw.js"],
    "dispatcher": ["/dispatch/"],
    "handler": ["/dept/"],
    "supervisor": ["/reports/"],
}


@pytest.fixture(scope="module")
def manifest_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("static")
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(PAGES))
def test_pages_render_with_hashed_static_files(client, manifest_static, role):
    world = build_world()
    client.force_login(getattr(world, role))
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }

    with override_settings(STATIC_ROOT=manifest_static, STORAGES=storages):
        answers = {path: client.get(path) for path in PAGES[role]}

    assert {path: answer.status_code for path, answer in answers.items()} == {
        path: 200 for path in PAGES[role]
    }
    page = answers[PAGES[role][0]].content.decode()
    assert "/static/css/gridcity." in page  # the hashed name, e.g. gridcity.1a2b3c4d5e6f.css
    assert "/static/css/gridcity.css" not in page

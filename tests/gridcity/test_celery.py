"""A task queued by an HTTP request runs on a real worker through Redis, carrying the request id."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.conftest import wait_for


@pytest.mark.django_db(transaction=True)
def test_heartbeat_queued_by_request_runs_on_worker_with_same_request_id(client, celery_worker):
    admin = get_user_model().objects.create_superuser("ops", "ops@example.org", "pw-ops-12345")
    client.force_login(admin)

    queued = client.post("/api/v1/system/heartbeats/", HTTP_X_REQUEST_ID="trace-abc-123")

    assert queued.status_code == 202
    assert queued["X-Request-ID"] == "trace-abc-123"
    url = f"/api/v1/system/heartbeats/{queued.json()['id']}/"
    wait_for(lambda: client.get(url).json()["ran_at"] is not None, timeout=30, what="the worker")
    beat = client.get(url).json()
    assert beat["request_id"] == "trace-abc-123"
    assert beat["worker_request_id"] == "trace-abc-123"
    assert beat["worker"]


@pytest.mark.django_db
def test_heartbeat_endpoint_refuses_non_staff(client):
    user = get_user_model().objects.create_user("citizen", password="pw-citizen-12345")
    client.force_login(user)

    response = client.post("/api/v1/system/heartbeats/")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"

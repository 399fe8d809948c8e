"""/healthz, as a load balancer and an operator meet it."""

from __future__ import annotations

import pytest
import requests

from tests.conftest import process_env, start_worker, stop, wait_for
from tests.processes import start_web


@pytest.mark.django_db
def test_healthz_reports_every_service_and_200_when_all_answer(client, celery_worker):
    response = client.get("/healthz")

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["postgis"].startswith("3.")
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert any(name.startswith("tests-") for name in body["checks"]["celery"]["workers"])


@pytest.mark.django_db
def test_healthz_names_unapplied_migrations(client, celery_worker, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    real_plan = MigrationExecutor.migration_plan
    fake = [(type("M", (), {"app_label": "cases", "name": "0099_future"})(), False)]
    monkeypatch.setattr(
        MigrationExecutor, "migration_plan", lambda self, targets, clean_start=False: fake
    )

    response = client.get("/healthz")

    monkeypatch.setattr(MigrationExecutor, "migration_plan", real_plan)
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]
    assert response.json()["checks"]["migrations"]["pending"] == ["cases.0099_future"]


@pytest.mark.django_db(transaction=True)
def test_healthz_turns_503_when_redis_stops_and_200_when_it_returns(private_redis, tmp_path):
    env = process_env(REDIS_URL=private_redis.url, GRIDCITY_HEALTH_TIMEOUT="1")
    worker = start_worker(env, name="outage", log=tmp_path / "worker.log")
    try:
        with start_web(env, log=tmp_path / "web.log", workers=1) as web:
            url = f"{web.base}/healthz"

            def status() -> int:
                try:
                    return requests.get(url, timeout=10).status_code
                except requests.RequestException:
                    return 0

            wait_for(lambda: status() == 200, timeout=60, what="healthz 200 with every service up")

            private_redis("stop")
            down = requests.get(url, timeout=10)

            private_redis("start")
            wait_for(lambda: status() == 200, timeout=60, what="healthz 200 after Redis returned")
    finally:
        stop(worker)
    assert down.status_code == 503
    assert "redis" in down.json()["failing"]
    assert "Connection" in down.json()["checks"]["redis"]["error"]
    assert down.json()["checks"]["database"]["ok"] is True

"""docker-compose.yml, as an operator deploying with containers meets it."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import ROOT


def compose(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is not installed: run `make test`, which installs it")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "POSTGRES_"))}
    # An empty env file: the checkout's own .env must not supply what the test withholds.
    empty = ROOT / "tests" / "gridcity" / "empty.env"
    return subprocess.run(  # noqa: S603
        [binary, "-f", str(ROOT / "docker-compose.yml"), "--env-file", str(empty), *args],
        env={**clean, **env},
        cwd="/",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_compose_file_validates_and_runs_one_image_as_web_worker_and_beat():
    result = compose("config", DJANGO_SECRET_KEY="s3cret", POSTGRES_PASSWORD="pw")

    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert set(services) == {"db", "redis", "web", "worker", "beat"}
    assert services["db"]["image"].startswith("postgis/postgis:")
    assert {services[name]["image"] for name in ("web", "worker", "beat")} == {"gridcity:latest"}
    assert all("healthcheck" in services[name] for name in ("db", "redis", "web", "worker"))
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert (
        services["web"]["environment"]["DATABASE_URL"] == "postgis://gridcity:pw@db:5432/gridcity"
    )
    assert {"pgdata", "media"} <= set(config["volumes"])
    assert compose("config", "-q", DJANGO_SECRET_KEY="s").returncode == 0


def test_compose_refuses_to_start_without_a_secret_key():
    result = compose("config", "-q")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr

"""Schemathesis generates requests for every operation of the OpenAPI schema (/api/v1/schema/)
and sends them to a live server as a staff user: no answer may be a server error, and every
documented answer must match its schema. The command-line runner is used (its pytest plugin
does not support pytest 9 yet); its report is printed when it fails."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from departments.roles import Role
from departments.services import role_grant
from tests.factories.cases import build_world, case_in_state

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHECKS = "not_a_server_error,response_schema_conformance"
EXTRA: list[str] = []


@pytest.mark.timeout(1800)
def test_api_fuzz_no_server_error_and_answers_match_the_schema(
    live_server, tasks_in_process, tmp_path
):
    world = build_world()
    staff = world.administrator
    for role in (Role.ADMINISTRATOR, Role.ACCEPTOR, Role.DISPATCHER, Role.SUPERVISOR):
        role_grant(actor=None, user=staff, role=role)
    case_in_state(world, "filed")
    token = base64.b64encode(f"{staff.username}:pw-test-123".encode()).decode()

    run = subprocess.run(  # noqa: S603
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{live_server.url}/api/v1/schema/",
            "--url",
            live_server.url,
            "--checks",
            CHECKS,
            "--header",
            f"Authorization: Basic {token}",
            "--max-examples",
            "10",
            "--seed",
            "20261123",
            "--phases",
            "examples,coverage,fuzzing",
            "--request-timeout",
            "60",
            "--continue-on-failure",
            "--no-color",
            *EXTRA,
        ],
        cwd=tmp_path,  # its own cache and reports stay out of the project
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )

    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]

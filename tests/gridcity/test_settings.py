"""The settings module as an operator meets it: environment in, safe defaults out."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    base.pop("LOG_FORMAT", None)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd="/",
        env={
            **base,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "gridcity.settings",
            "GRIDCITY_ENV_FILE": "",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'secure_cookie': s.SESSION_COOKIE_SECURE, "
    "'hsts': s.SECURE_HSTS_SECONDS, 'tz': s.TIME_ZONE, 'lang': s.LANGUAGE_CODE, "
    "'log': s.LOG_FORMAT, 'langs': [c for c, _ in s.LANGUAGES]}))"
)


def test_settings_refuse_to_start_without_secret_key_when_not_debugging():
    result = run_python("import django; django.setup()")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_settings_default_to_production_safety_and_chinese_first():
    result = run_python(PRINT_SETTINGS, DJANGO_SECRET_KEY="k" * 50)

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False
    assert values["secure_cookie"] is True
    assert values["hsts"] >= 31536000
    assert values["tz"] == "Asia/Shanghai"
    assert values["lang"] == "zh-hans"
    assert values["langs"] == ["zh-hans", "en"]
    assert values["log"] == "json"


def test_settings_time_zone_is_configurable():
    result = run_python(PRINT_SETTINGS, DJANGO_SECRET_KEY="k" * 50, TIME_ZONE="Asia/Urumqi")

    assert json.loads(result.stdout)["tz"] == "Asia/Urumqi"


def test_production_log_lines_are_json_with_the_request_id():
    code = (
        "import django, logging; django.setup()\n"
        "from django.test import Client\n"
        "logging.getLogger('gridcity.probe').info('probe line')\n"
        "Client().get('/no-such-page', secure=True, HTTP_X_REQUEST_ID='req-42')\n"
    )
    result = run_python(
        code, DJANGO_SECRET_KEY="k" * 50, DJANGO_ALLOWED_HOSTS="testserver", LOG_LEVEL="INFO"
    )

    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert lines, result.stderr
    probe = next(line for line in lines if line["message"] == "probe line")
    assert probe["level"] == "INFO"
    assert probe["logger"] == "gridcity.probe"
    assert probe["request_id"] == "-"
    assert any(line.get("request_id") == "req-42" for line in lines), lines

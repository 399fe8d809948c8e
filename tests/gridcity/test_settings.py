"""The settings module as an operator meets it: environment in, safe defaults out."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_"))}
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


PRINT_MAIL = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.EMAIL_BACKEND); print(s.EMAIL_FILE_PATH)"
)


def test_the_demo_configuration_keeps_its_e_mail_in_files_under_the_project():
    # `make run` starts the demo with .env.example: its users' addresses are made up and the
    # machine has no mail server, so each notice would be refused and retried over and over.
    result = run_python(PRINT_MAIL, GRIDCITY_ENV_FILE=str(ROOT / ".env.example"))

    assert result.returncode == 0, result.stderr
    backend, path = result.stdout.split()
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert path == str(ROOT / "var" / "mail")


def test_the_demo_configuration_delivers_a_notice_to_a_file(tmp_path):
    code = (
        "import django; django.setup(); from django.core.mail import send_mail; "
        "print(send_mail('案件通知', '案件已派遣', 'gridcity@localhost', ['lead@demo.gridcity']))"
    )
    result = run_python(
        code, GRIDCITY_ENV_FILE=str(ROOT / ".env.example"), EMAIL_FILE_PATH=str(tmp_path)
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
    (message,) = tmp_path.iterdir()
    assert "lead@demo.gridcity" in message.read_text()


def test_without_a_backend_named_production_mails_through_smtp():
    result = run_python(PRINT_MAIL, DJANGO_SECRET_KEY="k" * 50)

    assert result.stdout.split()[0] == "django.core.mail.backends.smtp.EmailBackend"


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


def test_the_web_entry_point_loads_the_views_and_keeps_them_out_of_the_collector():
    # gridcity.wsgi imports the URLconf and freezes what it loaded, so full collections no
    # longer walk the application's own objects on every big page (bench/RESULTS.md).
    code = (
        "import gc, sys; assert gc.get_freeze_count() == 0; import gridcity.wsgi; "
        "print(gc.get_freeze_count(), 'reports.views' in sys.modules)"
    )
    result = run_python(code, DJANGO_SECRET_KEY="k" * 50)
    assert result.returncode == 0, result.stderr
    frozen, views = result.stdout.split()
    assert int(frozen) > 100_000
    assert views == "True"

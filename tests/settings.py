"""Test settings: the real stack (PostGIS, Redis, Celery), on a Redis database of the tests' own."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key")
os.environ.setdefault("DJANGO_HTTPS", "false")
os.environ.setdefault("LOG_FORMAT", "text")
os.environ.setdefault("REDIS_URL", os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9"))

from gridcity.settings import *  # noqa: E402, F403
from gridcity.settings import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT", "/tmp/gridcity-test-media")  # noqa: S108

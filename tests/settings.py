"""Test settings: the real stack (PostGIS, Redis, Celery), on a Redis database of the tests' own.

The tests flush their Redis database, so they never share the one `make run` uses:
TEST_REDIS_URL chooses it (default: database 9 on REDIS_URL's server).
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key")
os.environ.setdefault("DJANGO_HTTPS", "false")
os.environ.setdefault("LOG_FORMAT", "text")
# Playwright's sync API keeps an event loop on the main thread; Django would otherwise refuse
# the ORM calls that tests make beside it, though they never run inside that loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
_redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL") or _redis.rsplit("/", 1)[0] + "/9"
os.environ["CACHE_URL"] = os.environ["REDIS_URL"]
os.environ.pop("CELERY_BROKER_URL", None)
os.environ.pop("CELERY_RESULT_BACKEND", None)

from gridcity.settings import *  # noqa: E402, F403
from gridcity.settings import STORAGES  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = os.environ.get("TEST_MEDIA_ROOT", "/tmp/gridcity-test-media")  # noqa: S108

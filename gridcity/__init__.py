"""GridCity project package: settings, URLs, the Celery app and what every app shares."""

from gridcity.celery import app as celery_app

__all__ = ["celery_app"]

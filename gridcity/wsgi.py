"""WSGI entry point (gunicorn gridcity.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridcity.settings")
application = get_wsgi_application()

"""WSGI entry point (gunicorn gridcity.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridcity.settings")
application = get_wsgi_application()

# Load every view module now rather than on the first request, then move everything loaded so
# far out of the cyclic garbage collector's reach: it is never freed, yet every full
# collection walked it, which added about 90 ms to every other two-year grid ranking (10,000
# rows of counts; bench/RESULTS.md, sixth round).
get_resolver().url_patterns  # noqa: B018  (imports the URLconf and the views it names)
gc.freeze()

# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      binutils gdal-bin libproj-dev gettext nodejs npm postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
RUN pip install -c constraints.txt .
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force

COPY . .
RUN DJANGO_SECRET_KEY=build-only python manage.py compilemessages --ignore=node_modules -v 0 \
 && DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0 \
 && useradd --system --uid 10001 --home /app gridcity \
 && mkdir -p /app/var/media && chown -R gridcity /app/var

USER gridcity
EXPOSE 8000
CMD ["gunicorn", "gridcity.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

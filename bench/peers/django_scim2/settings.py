"""The project's settings: production-like (no DEBUG, persistent database connections), only
the apps and the one middleware django-scim2 needs."""

from __future__ import annotations

import os
import urllib.parse

_database = urllib.parse.urlsplit(os.environ["BENCH_DJANGO_DATABASE_URL"])

SECRET_KEY = "bench-peer-not-a-secret"  # signs nothing: no sessions, no forms
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
USE_TZ = True
ROOT_URLCONF = "bench.peers.django_scim2.urls"
WSGI_APPLICATION = "bench.peers.django_scim2.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_scim",
    "bench.peers.django_scim2",
]
AUTH_USER_MODEL = "django_scim2.User"

# Request.user is set by the bearer token alone: no sessions, no CSRF (django-scim2's views
# are csrf_exempt), nothing else between gunicorn and the view.
MIDDLEWARE = ["bench.peers.django_scim2.auth.BearerTokenMiddleware"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _database.path.lstrip("/"),
        "USER": _database.username or "postgres",
        "PASSWORD": _database.password or "",
        "HOST": _database.hostname or "127.0.0.1",
        "PORT": str(_database.port or 5432),
        "CONN_MAX_AGE": None,  # one connection per gunicorn thread, kept
    }
}

SCIM_SERVICE_PROVIDER = {
    "NETLOC": "127.0.0.1",
    "SCHEME": "http",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A fixed token, authenticated as a superuser",
        }
    ],
    "GROUP_MODEL": "bench.peers.django_scim2.models.Team",
}

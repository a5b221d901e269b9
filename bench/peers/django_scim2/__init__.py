"""A minimal Django project serving django-scim2 as a Django shop would: Django's AbstractUser
with django-scim2's model mixin, its default user adapter and views, on PostgreSQL, under one
gunicorn worker. Runs in `.venv-peers` (see bench/django_peer.py), never in Roster's venv.

    python -m bench.peers.django_scim2 seed [--analyze]   # users as JSON lines on stdin
    python -m bench.peers.django_scim2 serve --port PORT

Configured by the environment: BENCH_DJANGO_DATABASE_URL (postgres://user@host:port/name),
BENCH_DJANGO_TOKEN (the bearer token the benchmark sends)."""

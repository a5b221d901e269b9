"""The project's two commands: `seed` (a fresh database, migrated and filled) and `serve` (one
gunicorn worker). See the package's docstring."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.parse
from collections.abc import Iterator
from itertools import islice
from typing import TextIO

import psycopg
from psycopg import sql

SETTINGS = "bench.peers.django_scim2.settings"
BATCH = 5000


def _create_database(url: str) -> None:
    """Create the database BENCH_DJANGO_DATABASE_URL names, on its server."""
    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    server = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _profiles(lines: TextIO) -> Iterator[dict[str, str]]:
    for line in lines:
        if line.strip():
            yield json.loads(line)


def seed(analyze: bool) -> list[str]:
    """Migrate the fresh database, create the superuser the token stands for, and store the
    users read from stdin (one JSON object a line: userName, givenName, familyName, email,
    externalId) as django-scim2's POST would store them, in bulk; their SCIM ids in order.
    Autovacuum is off for every table, so that only `analyze` gives the planner statistics."""
    _create_database(os.environ["BENCH_DJANGO_DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import CharField
    from django.db.models.functions import Cast

    from bench.peers.django_scim2.auth import SUPERUSER
    from bench.peers.django_scim2.models import User

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"ALTER TABLE {quoted} SET (autovacuum_enabled = false)")
    User.objects.create_superuser(SUPERUSER, "admin@bench.test", password=None)
    ids: list[str] = []
    profiles = _profiles(sys.stdin)
    while batch := list(islice(profiles, BATCH)):
        users = [
            User(
                username=profile["userName"],
                scim_username=profile["userName"],
                first_name=profile["givenName"],
                last_name=profile["familyName"],
                email=profile["email"],
                scim_external_id=profile["externalId"],
                is_active=True,
            )
            for profile in batch
        ]
        with transaction.atomic():
            User.objects.bulk_create(users)
        ids.extend(str(user.pk) for user in users)
    # what the mixin's save() does after each insert: the SCIM id is the primary key
    User.objects.filter(scim_id=None).update(scim_id=Cast("id", CharField()))
    if analyze:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return ids


def serve(port: int) -> None:
    """One gunicorn worker of the gthread class with 4 threads, on 127.0.0.1 only."""
    from gunicorn.app.wsgiapp import run

    sys.argv = [
        "gunicorn",
        "--bind", f"127.0.0.1:{port}",
        "--workers", "1",
        "--worker-class", "gthread",
        "--threads", "4",
        "--log-level", "warning",
        "bench.peers.django_scim2.wsgi:application",
    ]  # fmt: skip
    run()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    parser = argparse.ArgumentParser(prog="python -m bench.peers.django_scim2")
    commands = parser.add_subparsers(dest="command", required=True)
    seeding = commands.add_parser("seed")
    seeding.add_argument("--analyze", action="store_true", help="then gather statistics")
    serving = commands.add_parser("serve")
    serving.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.command == "seed":
        json.dump(seed(args.analyze), sys.stdout)
    else:
        serve(args.port)


if __name__ == "__main__":
    main()

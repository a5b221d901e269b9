"""Authentication for the benchmark: the fixed bearer token in BENCH_DJANGO_TOKEN stands for
the project's superuser. django-scim2 leaves authentication to the project and only checks
`request.user.is_authenticated`; this is the cheapest way to satisfy it: one constant-time
comparison, and the superuser read once per process, so no database query per request (a
token table, as Django REST framework's or django-oauth-toolkit's, would cost one)."""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest, HttpResponse

SUPERUSER = "bench-admin"


class BearerTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.expected = f"Bearer {os.environ['BENCH_DJANGO_TOKEN']}".encode()
        self.superuser: AbstractBaseUser | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        presented = request.headers.get("Authorization", "").encode()
        if hmac.compare_digest(presented, self.expected):
            if self.superuser is None:
                self.superuser = get_user_model().objects.get(username=SUPERUSER)
            request.user = self.superuser
        else:
            request.user = AnonymousUser()
        return self.get_response(request)

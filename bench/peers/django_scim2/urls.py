"""django-scim2's views at /scim/v2/ (the namespace `scim` is mandatory), and /ok, open, for the
benchmark to know the server is up."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("scim/v2/", include("django_scim.urls", namespace="scim")),
    path("ok", ok),
]

"""The models django-scim2's default adapters read: Django's AbstractUser with the library's
SCIM mixin (scim_id, scim_external_id, scim_username) and a group model for `scim_groups`, as in
django-scim2's own test project. Plain `auth.User` lacks those fields, so the default adapter
cannot serve it.

The one addition is the expression index on UPPER(username): django-scim2 turns
`userName eq "x"` into `WHERE UPPER(username) = UPPER(%s)`, which without it scans the table."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Upper
from django_scim.models import AbstractSCIMGroupMixin, AbstractSCIMUserMixin


class Team(AbstractSCIMGroupMixin):
    name = models.CharField(max_length=80, unique=True)


class User(AbstractSCIMUserMixin, AbstractUser):
    scim_groups = models.ManyToManyField(Team, related_name="user_set")

    class Meta:
        indexes = [models.Index(Upper("username"), name="user_upper_username")]

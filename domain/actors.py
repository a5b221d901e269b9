"""Who is acting, for which organization, through which door."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.errors import InvalidValue, PermissionDenied
from domain.models import Channel
from domain.permissions import (
    OPERATOR_PERMISSIONS,
    SCIM_TOKEN_PERMISSIONS,
    Permission,
    permissions_for_level,
)


class ActorKind(StrEnum):
    ADMIN = "admin"  # a user signed in to the settings page
    API_TOKEN = "api_token"  # a script with an admin's personal token
    SCIM_TOKEN = "scim_token"  # an identity provider with an organization's SCIM token
    OPERATOR = "operator"  # the command line
    SINGLE_SIGN_ON = "single_sign_on"  # someone signing in through the identity provider


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    id: str | None  # user id or token id; None for the operator
    label: str  # what the audit log shows
    channel: Channel
    organization_id: int | None  # None only for the operator acting on no organization
    permissions: frozenset[Permission]
    user_id: str | None = None  # the admin behind an ADMIN or API_TOKEN actor
    session_id: str | None = None  # the browser session an ADMIN actor came with

    def require(self, permission: Permission) -> None:
        if permission not in self.permissions:
            raise PermissionDenied(permission.value)

    @classmethod
    def operator(cls, organization_id: int | None = None) -> Actor:
        return cls(
            kind=ActorKind.OPERATOR,
            id=None,
            label="command line",
            channel=Channel.CLI,
            organization_id=organization_id,
            permissions=OPERATOR_PERMISSIONS,
        )

    @classmethod
    def scim_token(cls, token_id: str, token_label: str, organization_id: int) -> Actor:
        return cls(
            kind=ActorKind.SCIM_TOKEN,
            id=token_id,
            label=token_label,
            channel=Channel.SCIM,
            organization_id=organization_id,
            permissions=SCIM_TOKEN_PERMISSIONS,
        )

    @classmethod
    def single_sign_on(cls, organization_id: int, label: str) -> Actor:
        """Someone signing in through the organization's identity provider, not signed in
        yet: it may do nothing but be recorded."""
        return cls(
            kind=ActorKind.SINGLE_SIGN_ON,
            id=None,
            label=label,
            channel=Channel.GRAPHQL,
            organization_id=organization_id,
            permissions=frozenset(),
        )

    @classmethod
    def admin(
        cls,
        *,
        user_id: str,
        label: str,
        organization_id: int,
        permission_level: str,
        channel: Channel = Channel.GRAPHQL,
        via_token: str | None = None,
        session_id: str | None = None,
    ) -> Actor:
        return cls(
            kind=ActorKind.API_TOKEN if via_token else ActorKind.ADMIN,
            id=via_token or user_id,
            label=label,
            channel=channel,
            organization_id=organization_id,
            permissions=permissions_for_level(permission_level),
            user_id=user_id,
            session_id=session_id,
        )


def organization_id_of(actor: Actor) -> int:
    """The organization the actor acts for; InvalidValue for the operator acting on none."""
    if actor.organization_id is None:
        raise InvalidValue("organization", "this command needs an organization")
    return actor.organization_id

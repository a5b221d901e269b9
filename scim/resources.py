"""The SCIM User as Roster serves it (scim2-models), and its translation to and from the
domain's user attributes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

import scim2_models as sm
from pydantic import Field
from scim2_models import CaseExact, Mutability, Required, Returned
from scim2_models.resources.enterprise_user import Manager as EnterpriseManager

from domain.commands import Email as DomainEmail
from domain.commands import PhoneNumber, UserAttributes
from domain.models import User as DomainUser
from domain.roles import stated_role_key
from scim.role_carriers import ALL, ROSTER, Carrier, RosterUser, stated

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
_ROLE_IN_EXTENSION = "roleInExtension"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# Stored as sent (JSON) and returned as they were: the domain keeps them in `extras`.
EXTRA_ATTRIBUTES = {
    "addresses": "addresses",
    "ims": "ims",
    "photos": "photos",
    "entitlements": "entitlements",
    "roles": "roles",
    "x509_certificates": "x509Certificates",
}


class Email(sm.Email):
    """An email address as the identity provider holds it. scim2-models checks addresses for
    deliverability, which refuses Okta's own sample domain (okta.local): Roster stores what the
    provider sends and leaves delivery to the product."""

    value: Annotated[str | None, CaseExact.false] = None


class Manager(EnterpriseManager):
    """RFC 7643 calls `$ref` required, but Entra ID sends only `value`: it is optional here
    and Roster fills it in on reads."""

    ref: Annotated[sm.Reference[User] | None, Required.false] = Field(  # type: ignore[assignment]
        None, serialization_alias="$ref", validation_alias="$ref"
    )


class EnterpriseUser(sm.EnterpriseUser):
    manager: Manager | None = None


class User(sm.User[EnterpriseUser | RosterUser]):
    """User Account"""

    emails: list[Email] | None = None  # type: ignore[assignment]
    """Email addresses for the user."""

    permissions_role: Annotated[
        str | None, Mutability.read_write, Returned.default, CaseExact.false
    ] = None
    """The user's role in the product: a built-in role string (super-admin, admin,
    basic-user, limited-plus-user, limited-user, appstore-user) or a custom role's ID."""


def etag(version: int) -> str:
    return f'W/"{version}"'


def timestamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def to_scim(user: DomainUser, location: str) -> User:
    """The user as a scim2-models resource, to patch or to project: `render`'s JSON, read."""
    return User.model_validate(render(user, location))


def render(user: DomainUser, location: str) -> dict[str, Any]:
    """The user in SCIM's JSON shape, absent values left out (its role must be loaded). Lists
    of users are the hot path, so the JSON is built directly rather than dumped from the
    model; a test keeps it equal to what the model dumps."""
    name = {
        "formatted": user.formatted_name,
        "familyName": user.family_name,
        "givenName": user.given_name,
        "middleName": user.middle_name,
        "honorificPrefix": user.honorific_prefix,
        "honorificSuffix": user.honorific_suffix,
    }
    body: dict[str, Any] = {
        "schemas": [CORE],
        "id": str(user.id),
        "externalId": user.external_id,
        "userName": user.user_name,
        "name": {k: v for k, v in name.items() if v is not None} or None,
        "displayName": user.display_name,
        "nickName": user.nick_name,
        "profileUrl": user.extras.get("profileUrl"),
        "title": user.title,
        "userType": user.user_type,
        "preferredLanguage": user.preferred_language,
        "locale": user.locale,
        "timezone": user.timezone,
        "active": user.active,
        "emails": [_multi(email) for email in user.emails] or None,
        "phoneNumbers": [_multi(phone) for phone in user.phone_numbers] or None,
        "permissionsRole": stated_role_key(user),
        "groups": _groups(user, location),
        "meta": {
            "resourceType": "User",
            "created": timestamp(user.created_at),
            "lastModified": timestamp(user.updated_at),
            "location": location,
            "version": etag(user.version),
        },
    }
    for wire in EXTRA_ATTRIBUTES.values():
        body[wire] = user.extras.get(wire)
    enterprise = {
        "employeeNumber": user.employee_number,
        "costCenter": user.cost_center,
        "organization": user.organization_name,
        "division": user.division,
        "department": user.department,
        "manager": (
            {
                "value": user.manager_id,
                "$ref": user.extras.get("managerRef")
                or location.rsplit("/", 1)[0] + "/" + user.manager_id,
            }
            if user.manager_id
            else None
        ),
    }
    enterprise = {k: v for k, v in enterprise.items() if v is not None}
    if enterprise:
        body["schemas"].append(ENTERPRISE)
        body[ENTERPRISE] = enterprise
    if user.extras.get(_ROLE_IN_EXTENSION) and body["permissionsRole"] is not None:
        body["schemas"].append(ROSTER)
        body[ROSTER] = {"permissionsRole": body["permissionsRole"]}
    return {k: v for k, v in body.items() if v is not None}


def _groups(user: DomainUser, location: str) -> list[dict[str, Any]] | None:
    """The groups the user belongs to (read-only: changed through the groups), if read."""
    if not user.group_refs:
        return None
    base = location.rsplit("/", 2)[0]
    return [
        {
            "value": str(ref.id),
            "$ref": f"{base}/Groups/{ref.id}",
            "display": ref.display_name,
            "type": "direct",
        }
        for ref in user.group_refs
    ]


def _multi(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.value if hasattr(value, "value") else value)


Value = TypeVar("Value", DomainEmail, PhoneNumber)


def _values(kind: type[Value], items: list[Any] | None) -> tuple[Value, ...]:
    """Multi-valued attributes (emails, phoneNumbers) as the domain's values."""
    return tuple(
        kind(
            value=str(item.value),
            type=_text(item.type),
            primary=bool(item.primary),
            display=item.display,
        )
        for item in items or []
        if item.value
    )


def from_scim(
    resource: User, carriers: tuple[Carrier, ...] = ALL
) -> tuple[UserAttributes, str | None]:
    """The domain attributes of a resource, and the role string the first of `carriers` that
    holds one states (None when none does)."""
    name = resource.name or sm.Name()
    enterprise = resource[EnterpriseUser] or EnterpriseUser()
    extras: dict[str, Any] = {}
    for field, wire in EXTRA_ATTRIBUTES.items():
        values = getattr(resource, field) or []
        if values:
            extras[wire] = [
                item.model_dump(mode="json", by_alias=True, exclude_none=True) for item in values
            ]
    if resource.profile_url:
        extras["profileUrl"] = str(resource.profile_url)
    if enterprise.manager and enterprise.manager.ref:
        extras["managerRef"] = str(enterprise.manager.ref)
    if stated(resource, (Carrier.EXTENSION,)) is not None:
        extras[_ROLE_IN_EXTENSION] = True  # reads show the role where the provider sends it
    attributes = UserAttributes(
        user_name=resource.user_name or "",
        external_id=resource.external_id,
        given_name=name.given_name,
        family_name=name.family_name,
        middle_name=name.middle_name,
        formatted_name=name.formatted,
        honorific_prefix=name.honorific_prefix,
        honorific_suffix=name.honorific_suffix,
        display_name=resource.display_name,
        nick_name=resource.nick_name,
        title=resource.title,
        user_type=resource.user_type,
        preferred_language=resource.preferred_language,
        locale=resource.locale,
        timezone=resource.timezone,
        emails=_values(DomainEmail, resource.emails),
        phone_numbers=_values(PhoneNumber, resource.phone_numbers),
        active=True if resource.active is None else bool(resource.active),
        employee_number=enterprise.employee_number,
        cost_center=enterprise.cost_center,
        organization_name=enterprise.organization,
        division=enterprise.division,
        department=enterprise.department,
        manager_id=enterprise.manager.value if enterprise.manager else None,
        extras=extras,
    )
    return attributes, stated(resource, carriers)

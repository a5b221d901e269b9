"""The settings page's admins: users of an organization who have a password."""

from __future__ import annotations

from domain.errors import InvalidValue, NotFound
from domain.models import User
from domain.roles import with_roles
from domain.text import fits


async def admin_by_email(organization_id: int, email: str) -> User:
    """The organization's admin with this email, role loaded; NotFound, or InvalidValue for a
    user who is not an admin."""
    key = email.strip().casefold()
    user = None
    if fits(User, "user_name_key", key):
        user = await User.filter(organization_id=organization_id, user_name_key=key).first()
    if user is None:
        raise NotFound("admin", email)
    if user.password_hash is None:
        raise InvalidValue("email", f"{email!r} is a user of the organization, not an admin")
    await with_roles([user])
    return user

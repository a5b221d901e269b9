"""Who may do what: one table, by role permission level, plus the non-human principals."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    USERS_READ = "read users"
    USERS_WRITE = "provision, change, deactivate and delete users"
    GROUPS_READ = "read groups"
    GROUPS_WRITE = "create, change and delete groups and their members"
    ROLES_READ = "read roles"
    ROLES_ASSIGN = "assign roles to users by hand"
    ROLES_MANAGE = "create, change and delete custom roles"
    SCIM_TOKENS_MANAGE = "issue, list and revoke SCIM tokens"
    API_TOKENS_MANAGE = "issue and revoke personal API tokens"
    AUDIT_READ = "read the audit log"
    ORGANIZATION_MANAGE = "change the organization's settings"
    SSO_MANAGE = "configure single sign-on"
    PROVISIONING_MANAGE = "manage provisioning (pause it, and its safeguards)"
    ADMINS_MANAGE = "create admin accounts"
    ORGANIZATIONS_CREATE = "create organizations"


_ORGANIZATION_WIDE = frozenset(Permission) - {Permission.ORGANIZATIONS_CREATE}

# Permission level (a built-in role key) -> what an admin at that level may do in the settings
# page and through the GraphQL API. A custom role grants the level it is based on.
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "super-admin": _ORGANIZATION_WIDE,
    "admin": frozenset(
        {
            Permission.USERS_READ,
            Permission.GROUPS_READ,
            Permission.ROLES_READ,
            Permission.AUDIT_READ,
        }
    ),
    "basic-user": frozenset(),
    "limited-plus-user": frozenset(),
    "limited-user": frozenset(),
    "appstore-user": frozenset(),
}

# A SCIM token provisions users and groups of its organization; it cannot touch settings,
# roles or tokens.
SCIM_TOKEN_PERMISSIONS = frozenset(
    {
        Permission.USERS_READ,
        Permission.USERS_WRITE,
        Permission.GROUPS_READ,
        Permission.GROUPS_WRITE,
        Permission.ROLES_READ,
    }
)

# The operator at the command line runs the installation.
OPERATOR_PERMISSIONS = frozenset(Permission)


def permissions_for_level(level: str) -> frozenset[Permission]:
    return ROLE_PERMISSIONS.get(level, frozenset())

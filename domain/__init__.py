"""Roster's domain: organizations, users, roles, tokens, the audit log and the commands that
change them. Nothing here knows about HTTP, SCIM or GraphQL."""

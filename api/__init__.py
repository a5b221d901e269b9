"""The GraphQL door (Strawberry): translates GraphQL operations into domain commands and
queries. Imports `domain` only; never `scim` or `web`."""

"""The SCIM 2.0 door (RFC 7643/7644): translates SCIM requests into domain commands and
queries. Imports `domain` only; never `api` or `web`."""

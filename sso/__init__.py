"""Single sign-on's protocols, as Roster speaks them to an organization's identity provider:
OpenID Connect (`sso.oidc`). What a sign-in then means (whom it signs in, what is refused) is
the domain's (`domain.sso`); the HTTP routes are the served application's (`web.sso`)."""

"""Token and password material. The only module that imports passlib.

Bearer tokens are high-entropy (256 bits), so a slow password hash would buy nothing and cost
a hash per request: they are stored as SHA-256 digests, found by a public lookup part and
compared in constant time. Passwords are low-entropy: argon2 through passlib."""

from __future__ import annotations

import hashlib
import hmac
import secrets as _random
from dataclasses import dataclass

from passlib.context import CryptContext

from domain.models import Token, TokenKind

TOKEN_PREFIX = "rst_"
LOOKUP_LENGTH = 12  # public part, base62
SECRET_BYTES = 32  # 256 bits of entropy
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_passwords = CryptContext(schemes=["argon2"])


@dataclass(frozen=True, slots=True)
class TokenMaterial:
    token: str  # shown once, never stored
    lookup: str
    digest: str

    @property
    def prefix(self) -> str:
        return display_prefix(self.token)


def _base62(length: int) -> str:
    return "".join(_random.choice(_ALPHABET) for _ in range(length))


def new_token(kind: TokenKind) -> TokenMaterial:
    lookup = _base62(LOOKUP_LENGTH)
    secret = _random.token_urlsafe(SECRET_BYTES)  # 43 characters, 256 bits
    token = f"{TOKEN_PREFIX}{kind.value}_{lookup}{secret}"
    return TokenMaterial(token=token, lookup=lookup, digest=digest_of(token))


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_lookup(token: str, kind: TokenKind) -> str | None:
    """The lookup part of a well-formed token of `kind`, else None."""
    head = f"{TOKEN_PREFIX}{kind.value}_"
    if not token.startswith(head) or len(token) < len(head) + LOOKUP_LENGTH + 40:
        return None
    if len(token) > 200:
        return None
    return token[len(head) : len(head) + LOOKUP_LENGTH]


def digest_matches(token: str, digest: str) -> bool:
    return hmac.compare_digest(digest_of(token), digest)


def display_prefix(token_or_lookup: str, kind: TokenKind | None = None) -> str:
    """What lists show to recognise a token: the kind and the public lookup part."""
    if kind is not None:
        return f"{TOKEN_PREFIX}{kind.value}_{token_or_lookup}"
    head, _, rest = token_or_lookup.partition("_")
    kind_part, _, body = rest.partition("_")
    return f"{head}_{kind_part}_{body[:LOOKUP_LENGTH]}"


def _secret(password: str) -> bytes:
    """The password's UTF-8 bytes, as passlib would make them; half a surrogate pair (which a
    JSON `\\ud800` escape makes) is kept as is instead of failing the encoding."""
    return password.encode("utf-8", "surrogatepass")


def hash_password(password: str) -> str:
    return str(_passwords.hash(_secret(password)))


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        # spend the same time as a real check, so timing does not tell whether the account exists
        _passwords.dummy_verify()
        return False
    return bool(_passwords.verify(_secret(password), password_hash))


def new_custom_role_key() -> str:
    """An opaque, stable ID for a custom role: what an admin types into Okta."""
    return "cr_" + _base62(16)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: Token
    secret: str  # the whole token: shown to its owner once, stored nowhere

    @property
    def organization_id(self) -> int:
        return self.token.organization_id

"""Secrets Roster must use again, such as an identity provider's client secret, kept sealed:
encrypted and authenticated (Fernet) under a key derived from the installation's secret key.
A sealed secret read with another key, or altered, does not open."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"roster sealed secrets"


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, secret: str) -> str:
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def unseal(secret_key: str, sealed: str) -> str | None:
    """The secret, or None when it was sealed under another key or altered."""
    try:
        return _fernet(secret_key).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return None


def hint(secret: str) -> str:
    """What may be shown of a secret: its last four characters."""
    return f"…{secret[-4:]}" if len(secret) > 8 else "…"

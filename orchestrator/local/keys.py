"""The local project's API keys, made and checked the way hosted Supabase makes and checks them.

- Legacy `anon` / `service_role` keys are HS256 JWTs signed with the project's JWT secret,
  claims `{"iss": "supabase", "ref", "role", "iat", "exp"}`, valid ten years.
- New keys are opaque strings: `sb_publishable_...` and `sb_secret_...` (not JWTs).
- The functions gateway with verify_jwt accepts a valid JWT signed with the project's secret
  (the legacy keys, a user's session token); an API key in `Authorization` is not a JWT and is
  refused: https://supabase.com/docs/guides/functions/auth-headers
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any

TEN_YEARS_S = 315_576_000
SECRET_VISIBLE_PREFIX = 15  # GET api-keys without reveal=true: prefix, then one "·" per hidden character


def mint_jwt(jwt_secret: str, ref: str, role: str, now: int | None = None) -> str:
    import jwt

    issued = int(time.time()) if now is None else now
    claims = {"iss": "supabase", "ref": ref, "role": role, "iat": issued, "exp": issued + TEN_YEARS_S}
    return str(jwt.encode(claims, jwt_secret, algorithm="HS256"))


def new_keys(ref: str) -> dict[str, str]:
    """Settings for a new local project: the JWT secret and the four API keys."""
    jwt_secret = secrets.token_urlsafe(32)
    return {"jwt_secret": jwt_secret, "anon_key": mint_jwt(jwt_secret, ref, "anon"),
            "service_role_key": mint_jwt(jwt_secret, ref, "service_role"),
            "publishable_key": "sb_publishable_" + secrets.token_urlsafe(16)[:22],
            "secret_key": "sb_secret_" + secrets.token_urlsafe(24)[:31]}


def key_hash(key: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()).rstrip(b"=").decode()


def masked(key: str) -> str:
    return key[:SECRET_VISIBLE_PREFIX] + "·" * (len(key) - SECRET_VISIBLE_PREFIX)


def verify_authorization(header: str, jwt_secret: str) -> tuple[int, dict[str, Any]] | None:
    """None when the gateway lets the request through, else (status, body) as hosted answers."""
    import jwt

    if not header:
        return 401, {"code": "UNAUTHORIZED_NO_AUTH_HEADER", "message": "Missing authorization header"}
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return 401, {"code": "UNAUTHORIZED_INVALID_JWT_FORMAT", "message": "Invalid JWT"}
    try:
        jwt.decode(token, jwt_secret, algorithms=["HS256"], options={"verify_aud": False})
    except jwt.PyJWTError:
        return 401, {"code": "UNAUTHORIZED_INVALID_JWT_FORMAT", "message": "Invalid JWT"}
    return None

"""The local project's keys without starting a target: PyJWT signs and checks them (scripts/check-min-deps
runs this file with PyJWT at its floor)."""

from __future__ import annotations

import base64
import json

from orchestrator.local.keys import TEN_YEARS_S, mint_jwt, new_keys, verify_authorization


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    claims: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def test_legacy_keys_are_hs256_jwts_with_hosted_claims() -> None:
    token = mint_jwt("s" * 32, "abcdefghijklmnopqrst", "anon", now=1_700_000_000)
    assert _claims(token) == {"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "anon",
                              "iat": 1_700_000_000, "exp": 1_700_000_000 + TEN_YEARS_S}
    assert json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==")) == {"alg": "HS256", "typ": "JWT"}


def test_the_gateway_accepts_its_own_keys_and_refuses_others() -> None:
    keys = new_keys("abcdefghijklmnopqrst")
    assert verify_authorization(f"Bearer {keys['anon_key']}", keys["jwt_secret"]) is None
    assert verify_authorization(f"Bearer {keys['service_role_key']}", keys["jwt_secret"]) is None
    forged = mint_jwt("another secret of 32 characters!", "abcdefghijklmnopqrst", "service_role")
    assert verify_authorization(f"Bearer {forged}", keys["jwt_secret"]) == (
        401, {"code": "UNAUTHORIZED_INVALID_JWT_FORMAT", "message": "Invalid JWT"})
    assert verify_authorization(f"Bearer {keys['secret_key']}", keys["jwt_secret"])[0] == 401  # type: ignore[index]
    assert verify_authorization("", keys["jwt_secret"])[0] == 401  # type: ignore[index]

"""API Gateway's ``COGNITO_USER_POOLS`` authorizer, for the local REST API.

As API Gateway does before the integration runs: the token in the authorizer's header (``Bearer `` optional) must be
a JWT signed with a key of one of the authorizer's user pools (the pool's JWKS, served by the local endpoint),
issued by that pool, unexpired, and an ID token for one of the pool's app clients; on a method with
AuthorizationScopes, an access token granting one of them. Anything else is answered 401 ``Unauthorized`` without
invoking the function (the reason goes to the journal, not to the client). The verified claims reach the function
in ``requestContext.authorizer.claims``, every value a string, as API Gateway passes them.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import jwt

from localrun.model import Authorizer, Route
from localrun.records.apigateway import HttpResponse
from localrun.userpools import LocalPool, find_pools

JWKS_TIMEOUT_S = 5.0
_ALGORITHMS = ["RS256"]  # what Cognito signs with


class TokenRejectedError(Exception):
    """The request is not authorized; the message says why (for the journal only)."""


def unauthorized() -> HttpResponse:
    return HttpResponse(
        401,
        [("Content-Type", "application/json"), ("x-amzn-ErrorType", "UnauthorizedException")],
        b'{"message":"Unauthorized"}',
    )


def bearer_token(headers: Sequence[tuple[str, str]], header: str) -> str:
    value = next((v for k, v in headers if k.lower() == header.lower()), "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    if not value:
        raise TokenRejectedError(f"no token in the {header} header")
    return value


def claims_as_strings(claims: Mapping[str, Any]) -> dict[str, str]:
    """The claims as a REST API passes them: strings, lists joined by commas, exp/iat as dates."""
    out: dict[str, str] = {}
    for name, value in claims.items():
        if name in ("exp", "iat") and isinstance(value, int | float):
            out[name] = datetime.fromtimestamp(value, UTC).strftime("%a %b %d %H:%M:%S UTC %Y")
        elif isinstance(value, list | tuple):
            out[name] = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            out[name] = str(value).lower()
        else:
            out[name] = str(value)
    return out


class CognitoAuthorizer:
    """Verifies tokens against the pools on the local endpoint (looked up by name, JWKS cached per pool)."""

    def __init__(self, endpoint: str, find: Callable[[], dict[str, LocalPool]] | None = None) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._find = find or self._find_on_endpoint
        self._lock = threading.Lock()
        self._pools: dict[str, LocalPool] = {}
        self._keys: dict[str, jwt.PyJWKSet] = {}
        self._cognito: Any = None

    def warm(self) -> None:
        """Look the pools and their keys up now rather than on the first request (~0.2 s: a boto3 client, the pool
        list, each JWKS); afterwards a token costs ~0.6 ms to verify."""
        for pool in self._known_pools(refresh=True).values():
            with self._lock:
                self._keys[pool.id] = self._fetch_jwks(pool.id)

    def claims(self, route: Route, headers: Sequence[tuple[str, str]]) -> dict[str, str]:
        """The verified claims of the request's token, for ``route``; :class:`TokenRejectedError` otherwise."""
        assert route.authorizer is not None
        token = bearer_token(headers, route.authorizer.header)
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise TokenRejectedError(f"not a readable JWT ({exc})") from exc
        want_access = bool(route.scopes)
        client_id = unverified.get("client_id" if want_access else "aud")
        pool = self._pool_for(route.authorizer, str(unverified.get("iss", "")), str(client_id))
        key = self._key(pool, str(kid))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=_ALGORITHMS,
                issuer=pool.issuer,
                audience=None if want_access else list(pool.client_ids),
                options={"require": ["exp", "iat", "iss", "token_use"], "verify_aud": not want_access},
                leeway=0,
            )
        except jwt.PyJWTError as exc:  # a bad signature, expired, not yet valid, another client's, ...
            raise TokenRejectedError(f"{type(exc).__name__}: {exc}") from exc
        self._check_use(route, route.authorizer, pool, claims)
        return claims_as_strings(claims)

    def _check_use(self, route: Route, authorizer: Authorizer, pool: LocalPool, claims: Mapping[str, Any]) -> None:
        if route.scopes:
            granted = set(str(claims.get("scope", "")).split())
            if claims["token_use"] != "access" or claims.get("client_id") not in pool.client_ids:
                raise TokenRejectedError("this method wants an access token (it has authorization scopes)")
            if not granted & set(route.scopes):
                raise TokenRejectedError(f"the token grants none of the scopes {', '.join(route.scopes)}")
            return
        if claims["token_use"] != "id":
            raise TokenRejectedError(f"an ID token is needed, not an {claims['token_use']} token")
        if authorizer.aud_pattern and not re.fullmatch(authorizer.aud_pattern, str(claims.get("aud", ""))):
            raise TokenRejectedError("the token's audience does not match IdentityValidationExpression")

    def _pool_for(self, authorizer: Authorizer, issuer: str, client_id: str) -> LocalPool:
        """The authorizer's pool that issued the token. Any app client of the pool will do, as on AWS: a client
        (or pool) created since the last look is found by looking again."""
        found = None
        for refresh in (False, True):
            pools = self._known_pools(refresh)
            found = next(
                (p for p in (pools.get(n) for n in authorizer.pool_names) if p is not None and p.issuer == issuer),
                None,
            )
            if found is not None and client_id in found.client_ids:
                return found
        if found is not None:
            return found  # the audience check then says whose client it was not
        raise TokenRejectedError(f"issued by {issuer or 'nobody'}, not by a user pool of this authorizer")

    def _known_pools(self, refresh: bool) -> dict[str, LocalPool]:
        with self._lock:
            if refresh or not self._pools:
                self._pools = self._find()
            return self._pools

    def _key(self, pool: LocalPool, kid: str) -> jwt.PyJWK:
        for refresh in (False, True):  # keys rotate: an unknown kid fetches the JWKS again
            with self._lock:
                if refresh or pool.id not in self._keys:
                    self._keys[pool.id] = self._fetch_jwks(pool.id)
                keys = self._keys[pool.id]
            found = next((k for k in keys.keys if k.key_id == kid), None)
            if found is not None:
                return found
        raise TokenRejectedError(f"signed with key {kid!r}, which the pool's JWKS does not hold")

    def _fetch_jwks(self, pool_id: str) -> jwt.PyJWKSet:
        # http.client, not urllib: no proxy settings can send this anywhere but the local endpoint.
        parts = urlsplit(self.endpoint)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=JWKS_TIMEOUT_S)
        try:
            conn.request("GET", f"/{pool_id}/.well-known/jwks.json")
            response = conn.getresponse()
            body = response.read()
        except OSError as exc:
            raise TokenRejectedError(f"the pool's JWKS could not be read: {exc}") from exc
        finally:
            conn.close()
        if response.status != 200:
            raise TokenRejectedError(f"the pool's JWKS answered {response.status}")
        try:
            return jwt.PyJWKSet.from_dict(json.loads(body))
        except (ValueError, jwt.PyJWTError) as exc:
            raise TokenRejectedError(f"the pool's JWKS is unreadable: {exc}") from exc

    def _find_on_endpoint(self) -> dict[str, LocalPool]:
        if self._cognito is None:
            from localrun.aws import EndpointClients

            self._cognito = EndpointClients(self.endpoint).cognito_idp
        return find_pools(self._cognito)

"""Who is calling: the signed-in user that API Gateway's Cognito authorizer vouched for.

API Gateway verifies the token (signature, issuer, expiry) before the function runs and passes the token's claims
in ``requestContext.authorizer.claims``, every value a string. Only that part of the event identifies the caller:
headers, paths and bodies are the client's to write. Pure (no FastAPI), so domain code may take a ``Caller``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lambda_common.errors import ForbiddenError, UnauthenticatedError

ADMINS_GROUP = "admins"


class Caller(BaseModel):
    """The user a request comes from: their user-pool username and the groups they belong to."""

    model_config = ConfigDict(frozen=True)

    user_name: str = Field(min_length=1, description="The user-pool username (claim cognito:username)")
    groups: frozenset[str] = frozenset()

    @property
    def is_admin(self) -> bool:
        return ADMINS_GROUP in self.groups

    def ensure_is(self, user_name: str, what: str) -> None:
        """Refuse to act on another user's ``what`` (e.g. "basket"): a user touches only their own."""
        if user_name != self.user_name:
            raise ForbiddenError(f"signed in as {self.user_name}: you may not access the {what} of {user_name}")

    def ensure_is_or_admin(self, user_name: str, what: str) -> None:
        """Like :meth:`ensure_is`, but members of ``admins`` may read anyone's ``what``."""
        if not self.is_admin:
            self.ensure_is(user_name, what)

    def ensure_admin(self, action: str) -> None:
        if not self.is_admin:
            raise ForbiddenError(f"only members of the {ADMINS_GROUP} group may {action}")


def parse_groups(value: Any) -> frozenset[str]:
    """``cognito:groups`` as it arrives: a JSON list (the token itself), or the string API Gateway makes of it
    (``"a,b"`` from a REST API, ``"[a b]"`` from an HTTP API)."""
    if value is None:
        return frozenset()
    if isinstance(value, list | tuple):
        items = [str(v) for v in value]
    else:
        text = str(value).strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1].replace(" ", ",")
        items = text.split(",")
    return frozenset(i.strip() for i in items if i.strip())


def caller_from_claims(claims: Mapping[str, Any] | None) -> Caller:
    """The caller named by an authorizer's claims; :class:`UnauthenticatedError` when there is none."""
    if not claims:
        raise UnauthenticatedError("sign in first: this route needs a user pool ID token (Authorization: Bearer ...)")
    # ID tokens carry cognito:username; access tokens (an authorizer with OAuth scopes) carry username.
    user_name = claims.get("cognito:username") or claims.get("username")
    if not user_name:
        raise UnauthenticatedError("the token names no user (no cognito:username claim)")
    return Caller(user_name=str(user_name), groups=parse_groups(claims.get("cognito:groups")))

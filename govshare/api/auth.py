"""Who is calling: an agency by its API token, or, for report pages, an Airflow user by the UI's
session cookie. Airflow does not authenticate plugin apps, so every data endpoint depends on this."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from govshare.identity import Actor, authenticate
from govshare.registry.db import session

_bearer = HTTPBearer(auto_error=False, description="An agency API token issued by `govshare token create`.")


def current_actor(credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]) -> Actor:
    with session() as s:
        return authenticate(s, credentials.credentials if credentials else None)


Caller = Annotated[Actor, Depends(current_actor)]


async def reader(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> Actor:
    """An agency by its token, or an Airflow user by the Airflow UI's session cookie (an
    operator: they follow report links from the UI)."""
    if credentials is not None:
        return current_actor(credentials)
    cookie = request.cookies.get("_token")
    if cookie:
        try:
            from airflow.api_fastapi.app import get_auth_manager

            user = await get_auth_manager().get_user_from_token(cookie)
            return Actor.operator(f"airflow:{user.get_name()}")
        except Exception:  # no auth manager here, or a bad or expired session
            pass
    return current_actor(None)


Reader = Annotated[Actor, Depends(reader)]

"""Who is calling: an agency by its API token, or, for report pages, an Airflow user by the UI's
session cookie. Airflow does not authenticate plugin apps, so every data endpoint depends on this."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from govshare.airflow.ui_session import airflow_operator
from govshare.errors import NotAuthenticated
from govshare.identity import Actor, authenticate
from govshare.registry.db import session

_bearer = HTTPBearer(auto_error=False, description="An agency API token issued by `govshare token create`.")


def _exact_token(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """The token exactly as sent. FastAPI's bearer scheme strips the whitespace around it, so
    ``Bearer <token> `` would pass for the token: a token is matched as it was issued, or refused."""
    if credentials is None:
        return None
    _, _, sent = request.headers.get("authorization", "").partition(" ")
    if sent != credentials.credentials:
        raise NotAuthenticated(
            "the token must be sent exactly as issued, with no space, tab or line break around it",
            "send `Authorization: Bearer <agency token>`: one space after Bearer, nothing after the token",
        )
    return sent


def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> Actor:
    token = _exact_token(request, credentials)
    with session() as s:
        return authenticate(s, token)


Caller = Annotated[Actor, Depends(current_actor)]


async def reader(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]
) -> Actor:
    """An agency by its token, or an Airflow user by the Airflow UI's session cookie (an
    operator: they follow report links from the UI)."""
    if credentials is not None:
        return current_actor(request, credentials)
    cookie = request.cookies.get("_token")
    if cookie and (operator := await airflow_operator(cookie)):
        return operator
    return current_actor(request, None)


Reader = Annotated[Actor, Depends(reader)]

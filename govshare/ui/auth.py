"""Who is looking at a page, and the CSRF token every form of theirs carries.

Agency staff by their workspace session cookie (govshare.staff); operators by their Airflow
session (govshare.airflow.ui_session). Nobody else: a page without either redirects to sign-in.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from govshare import staff
from govshare.airflow.ui_session import airflow_operator
from govshare.errors import NotAllowed, NotAuthenticated
from govshare.identity import Actor
from govshare.registry.db import session

SESSION_COOKIE = "govshare_session"
AIRFLOW_COOKIE = "_token"


@dataclass(frozen=True)
class Visitor:
    actor: Actor
    csrf: str  # the value each of this visitor's forms must post back

    @property
    def is_operator(self) -> bool:
        return self.actor.kind == "operator"


async def visitor(request: Request) -> Visitor:
    if secret := request.cookies.get(SESSION_COOKIE):
        with session() as s:
            try:
                return Visitor(staff.session_actor(s, secret), staff.csrf_token(secret))
            except NotAuthenticated:
                pass  # an ended session: an operator's Airflow session may still stand
    if (secret := request.cookies.get(AIRFLOW_COOKIE)) and (operator := await airflow_operator(secret)):
        return Visitor(operator, staff.csrf_token(secret))
    raise NotAuthenticated("not signed in, or the session has ended", "sign in")


Viewer = Annotated[Visitor, Depends(visitor)]


async def form_of(request: Request, viewer: Visitor) -> dict[str, str]:
    """The posted form, if it carries the visitor's CSRF token; else refused, changing nothing."""
    form = {key: str(value) for key, value in (await request.form()).items()}
    if not hmac.compare_digest(form.pop("csrf", "").encode(), viewer.csrf.encode()):  # bytes: any text compares
        raise NotAllowed(
            "the form was refused: its security token is missing or belongs to another session",
            "reload the page and send the form again",
        )
    return form

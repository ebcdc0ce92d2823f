"""Signing agency staff in and out of the workspace.

The session cookie is HttpOnly (no script reads it), SameSite=Lax (no other site's form posts
with it), Secure behind https, and lasts ``session_hours``; the server ends it on sign-out. The
sign-in form itself carries a CSRF token from a short-lived cookie of its own, so no other site
can sign a browser in to an account of its choosing."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from govshare import staff
from govshare.errors import NotAuthenticated, SignInLocked
from govshare.registry.db import session
from govshare.settings import setting
from govshare.ui.auth import AIRFLOW_COOKIE, SESSION_COOKIE
from govshare.ui.render import page, root

router = APIRouter()
_FORM_COOKIE = "govshare_signin"


def _next(request: Request, wanted: str) -> str:
    """Only a page of ours: never a redirect to another site."""
    pages = root(request)
    return wanted if wanted.startswith(pages + "/") and not wanted.startswith("//") else f"{pages}/agreements"


def _form(request: Request, wanted: str, problem: str = "", status_code: int = 200):
    secret = secrets.token_urlsafe(32)
    shown = page(
        "signin.html",
        status_code,
        root=root(request),
        viewer=None,
        csrf=staff.csrf_token(secret),
        next=_next(request, wanted),
        problem=problem,
        airflow_signed_in=AIRFLOW_COOKIE in request.cookies,
    )
    shown.set_cookie(_FORM_COOKIE, secret, max_age=1800, httponly=True, samesite="strict", path=root(request) or "/")
    return shown


@router.get("/signin", include_in_schema=False)
def sign_in_form(request: Request, next: str = ""):
    return _form(request, next)


@router.post("/signin", include_in_schema=False)
def sign_in(
    request: Request,
    login: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
):
    secret = request.cookies.get(_FORM_COOKIE, "")
    if not secret or not hmac.compare_digest(csrf.encode(), staff.csrf_token(secret).encode()):
        return _form(request, next, "表单已过期，请重新登录 The form expired: sign in again.", 403)
    try:
        with session() as s:
            token, _ = staff.sign_in(s, login.strip().lower(), password)
    except SignInLocked as locked:
        with session() as s:
            staff.refused_sign_in(s, login.strip().lower(), locked=True)
        return _form(request, next, f"账号暂时锁定 {locked.message}: {locked.hint}.", 429)
    except NotAuthenticated:
        with session() as s:
            staff.refused_sign_in(s, login.strip().lower())
        return _form(request, next, "登录名或密码错误 Unknown login or wrong password.", 401)
    done = RedirectResponse(_next(request, next), status_code=303)
    done.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=setting("session_hours") * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=root(request) or "/",
    )
    done.delete_cookie(_FORM_COOKIE, path=root(request) or "/")
    return done


@router.post("/signout", include_in_schema=False)
async def sign_out(request: Request):
    if secret := request.cookies.get(SESSION_COOKIE):
        form = await request.form()
        if hmac.compare_digest(str(form.get("csrf", "")).encode(), staff.csrf_token(secret).encode()):
            with session() as s:
                staff.sign_out(s, secret)
    gone = RedirectResponse(f"{root(request)}/signin", status_code=303)
    gone.delete_cookie(SESSION_COOKIE, path=root(request) or "/")
    return gone

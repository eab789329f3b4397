"""RSpace's sign-in pages: ``/login`` (the form and its POST), ``/logout``, the "Login not
Available" page, and ``/workspace``, where a signed-in user lands. Rules: ``domain/sessions.py``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..domain.kinds import DOCUMENTS
from ..domain.models import User
from ..domain.sessions import MSG_LOCKOUT_POLICY, MSG_WRONG_CREDENTIALS, Refusal, SignInRefused
from .context import mock_of
from .pages import SESSION_COOKIE, render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("rspace_mock")

#: Where a sign-in goes when no page sent the user to the form (Shiro's ``successUrl``).
SUCCESS_URL = "/workspace"
#: The page a page that needs a session sent the browser from, kept until it signs in.
NEXT_COOKIE = "rspace_mock_after_login"


def signed_in_user(request: Request) -> User | None:
    return mock_of(request).sign_in.user_of(request.cookies.get(SESSION_COOKIE))


def to_login(request: Request) -> Response:
    """A page that needs a session, without one: to the form, coming back here after it."""
    response = RedirectResponse("/login", status_code=302)
    response.set_cookie(NEXT_COOKIE, request.url.path, httponly=True, samesite="lax")
    return response


def _secure(request: Request) -> bool:
    public = mock_of(request).settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")


@router.get("/login")
def login_page(request: Request) -> Response:
    if signed_in_user(request) is not None:
        return RedirectResponse(SUCCESS_URL, status_code=302)
    return render("login.html", failed=False, username="")


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    username = str(form.get("username") or "")
    password = str(form.get("password") or "")
    try:
        signed = mock_of(request).sign_in.sign_in(username, password)
    except SignInRefused as refused:
        log.info("POST /login refused (%s)", refused.reason)
        if refused.refusal is Refusal.DISABLED:
            return RedirectResponse("/public/accountDisabled", status_code=302)
        return render(
            "login.html",
            failed=True,
            username=username,
            messages=[MSG_WRONG_CREDENTIALS, MSG_LOCKOUT_POLICY],
        )
    target = request.cookies.get(NEXT_COOKIE) or SUCCESS_URL
    if not target.startswith("/") or target.startswith("//"):
        target = SUCCESS_URL
    response = RedirectResponse(target, status_code=302)
    response.delete_cookie(NEXT_COOKIE)
    response.set_cookie(
        SESSION_COOKIE,
        signed.session_id,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        path="/",
    )
    return response


@router.get("/logout")
def logout(request: Request) -> Response:
    mock_of(request).sign_in.sign_out(request.cookies.get(SESSION_COOKIE))
    response = render("logout.html")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/public/accountDisabled", response_class=HTMLResponse)
def account_disabled() -> Response:
    return render("account_disabled.html")


@router.get("/workspace")
def workspace(request: Request) -> Response:
    user = signed_in_user(request)
    if user is None:
        return to_login(request)
    mock = mock_of(request)
    documents: list[Any] = [
        d for d in mock.store.collection(DOCUMENTS).select(owner_id=user.id) if not d.deleted
    ]
    documents.sort(key=lambda d: d.last_modified, reverse=True)
    return render("workspace.html", user=user, documents=documents[:50], total=len(documents))

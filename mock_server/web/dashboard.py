"""``/_mock/ui``: a dashboard of the fake, for people debugging a client. A test instrument (it
lives in the admin app, behind the admin token when one is set): the request journal (masked,
filtered by path, user and status), the users with their apps, token pairs and documents, the
clock, the fault rules and the settings switches, each changed by a plain form that posts to
the same operations as the admin API (``admin/control.py``)."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from ..admin.control import AdminError, MockControl
from ..domain.kinds import APPS, DOCUMENTS, TOKENS, USERS
from ..runtime import MockRSpace
from .pages import render

PREFIX = "/_mock/ui"
#: The browser's copy of the admin token (``serve --admin-token``), set by the token form.
ADMIN_COOKIE = "rspace_mock_admin"

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def _control(request: Request) -> MockControl:
    mock: MockRSpace = request.app.state.mock
    return MockControl(mock)


def token_matches(sent: str | None, token: str) -> bool:
    return sent is not None and hmac.compare_digest(sent.encode(), token.encode())


def _back(anchor: str, problem: str | None = None) -> Response:
    target = f"{PREFIX}?problem={problem}#{anchor}" if problem else f"{PREFIX}#{anchor}"
    return RedirectResponse(target, status_code=303)


def _people(mock: MockRSpace) -> list[dict[str, Any]]:
    store = mock.store
    apps = store.collection(APPS)
    people = []
    for user in sorted(store.collection(USERS).select(), key=lambda u: u.id):
        owned = mock.profile.own_apps(user)
        pairs = []
        for row in store.collection(TOKENS).select(user_id=user.id):
            app = apps.get(row.client_id)
            if row.access_token_hash is None or row.expiry is None:
                state = "refresh token only (JWT grant)"
            elif row.expiry > mock.clock.now():
                state = f"access token until {row.expiry:%Y-%m-%d %H:%M:%S}"
            else:
                state = "access token expired"
            pairs.append({"app": app.name if app else row.client_id, "state": state})
        documents = store.collection(DOCUMENTS).count(owner_id=user.id)
        people.append({"user": user, "apps": owned, "pairs": pairs, "documents": documents})
    return people


@router.get("")
def dashboard(request: Request) -> Response:
    mock: MockRSpace = request.app.state.mock
    control = _control(request)
    query = request.query_params
    filters: dict[str, Any] = {}
    if query.get("path"):
        filters["path"] = query["path"]
    if query.get("user"):
        filters["user"] = query["user"]
    status = query.get("status", "")
    if status.isdigit():
        filters["status"] = int(status)
    entries = list(reversed(control.journal(**filters)))[:200]
    return render(
        "dashboard.html",
        entries=entries,
        filters={"path": query.get("path", ""), "user": query.get("user", ""), "status": status},
        people=_people(mock),
        clock=control.clock_json(),
        faults=control.faults(),
        settings=control.get_settings(),
        problem=query.get("problem"),
        live=query.get("live") == "1",
        prefix=PREFIX,
    )


@router.get("/login")
def token_form(request: Request) -> Response:
    return render("dashboard_login.html", prefix=PREFIX, wrong=False)


@router.post("/login")
async def take_token(request: Request) -> Response:
    mock: MockRSpace = request.app.state.mock
    token = str((await request.form()).get("token") or "")
    if mock.settings.admin_token is None or not token_matches(token, mock.settings.admin_token):
        return render("dashboard_login.html", prefix=PREFIX, wrong=True, status_code=401)
    response = RedirectResponse(PREFIX, status_code=303)
    response.set_cookie(ADMIN_COOKIE, token, httponly=True, samesite="strict", path="/_mock")
    return response


@router.post("/clock")
async def clock(request: Request) -> Response:
    form = await request.form()
    action = str(form.get("action") or "")
    control = _control(request)
    try:
        if action == "freeze":
            control.clock_freeze()
        elif action == "unfreeze":
            control.clock_unfreeze()
        elif action == "reset":
            control.clock_reset()
        elif action == "advance":
            control.clock_advance(float(str(form.get("seconds") or "0")))
        else:
            return _back("clock", f"unknown clock action {action!r}")
    except (AdminError, ValueError) as exc:
        return _back("clock", str(exc))
    return _back("clock")


@router.post("/settings")
async def settings(request: Request) -> Response:
    form = await request.form()
    names = ("oauthEnabled", "apiEnabled", "throttling", "journal")
    _control(request).update_settings({name: form.get(name) == "on" for name in names})
    return _back("settings")


@router.post("/faults")
async def add_fault(request: Request) -> Response:
    form = await request.form()
    rule: dict[str, Any] = {
        "path": str(form.get("path") or ""),
        "action": str(form.get("action") or ""),
        "times": None if str(form.get("times")) == "0" else int(str(form.get("times") or 1)),
    }
    if form.get("method"):
        rule["method"] = str(form.get("method"))
    if rule["action"] == "error":
        rule["status"] = int(str(form.get("status") or 0) or 0)
    if rule["action"] == "delay":
        rule["delay_seconds"] = float(str(form.get("delay") or 0) or 0)
    try:
        _control(request).add_fault(rule)
    except (AdminError, ValueError) as exc:
        return _back("faults", str(exc))
    return _back("faults")


@router.post("/faults/{rule_id}/remove")
def remove_fault(request: Request, rule_id: int) -> Response:
    try:
        _control(request).remove_fault(rule_id)
    except AdminError as exc:
        return _back("faults", exc.message)
    return _back("faults")


@router.post("/reset")
def reset(request: Request) -> Response:
    _control(request).reset()
    return _back("top")


@router.post("/journal/clear")
def clear_journal(request: Request) -> Response:
    _control(request).clear_journal()
    return _back("journal")

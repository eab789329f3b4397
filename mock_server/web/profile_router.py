"""My Profile (``/userform``) and the calls its page makes (``/userform/ajax/...``), answered
in RSpace's ``AjaxReturnObject`` shape. Rules: ``domain/profile.py``."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from ..domain.errors import ApiProblem
from ..domain.models import User
from ..domain.profile import ApiKeyInfo
from .context import mock_of
from .pages import origin_problem, render
from .signin_router import signed_in_user, to_login

router = APIRouter(include_in_schema=False)
log = logging.getLogger("rspace_mock")

#: ``errors.ajax.unauthenticated.refreshRequired``: an AJAX call without a session.
MSG_NOT_AUTHENTICATED = (
    "You are no longer authenticated - please refresh the page and log in again."
)
AJAX = "/userform/ajax"


def ajax(data: Any = None, error: str | None = None, *, empty_error: bool = False) -> Response:
    """``AjaxReturnObject``: ``data``, ``error`` (an ``ErrorList``), ``errorMsg`` (the same),
    ``success`` (whether there is data). Always HTTP 200, as RSpace's. ``empty_error``: the
    ``ErrorList`` of one null message that some of its answers carry."""
    messages = [error] if error is not None or empty_error else None
    errors = {"errorMessages": messages} if messages is not None else None
    body = {"data": data, "error": errors, "errorMsg": errors, "success": data is not None}
    return Response(json.dumps(body), media_type="application/json;charset=UTF-8")


class PageRefused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def page_user(request: Request) -> User:
    """The signed-in user of an AJAX call that passes RSpace's Origin/Referer check."""
    user = signed_in_user(request)
    if user is None:
        raise PageRefused(Response(MSG_NOT_AUTHENTICATED, status_code=403, media_type="text/plain"))
    problem = origin_problem(request, mock_of(request).settings.public_url)
    if problem is not None:
        log.info("%s %s refused: %s", request.method, request.url.path, problem)
        message = f"Request can't be processed - incorrect Origin/Referer headers:{problem}"
        raise PageRefused(Response(message, status_code=403, media_type="text/plain"))
    return user


async def on_page_refused(request: Request, exc: Exception) -> Response:
    """The exception handler that answers a :class:`PageRefused`."""
    assert isinstance(exc, PageRefused)
    return exc.response


@router.get("/userform")
def profile_page(request: Request) -> Response:
    user = signed_in_user(request)
    if user is None:
        return to_login(request)
    return render("profile.html", user=user)


@router.get(f"{AJAX}/oAuthApps")
async def list_apps(request: Request) -> Response:
    user = page_user(request)
    apps = mock_of(request).profile.own_apps(user)
    return ajax({"oauthApps": [{"appName": a.name, "clientId": a.client_id} for a in apps]})


@router.post(AJAX + "/oAuthApps/{name}")
async def create_app(request: Request, name: str = Path()) -> Response:
    user = page_user(request)
    try:
        created = mock_of(request).profile.create_app(user, name)
    except ApiProblem as problem:
        return ajax(error=f"Something went wrong: \n{problem.message}")
    app = created.app
    data = {
        "appName": app.name,
        "clientId": app.client_id,
        "unhashedClientSecret": created.client_secret,
    }
    return ajax(data)


@router.delete(AJAX + "/oAuthApps/{client_id}")
async def delete_app(request: Request, client_id: str = Path()) -> Response:
    user = page_user(request)
    try:
        mock_of(request).profile.delete_app(user, client_id)
    except ApiProblem as problem:
        return ajax(error=problem.message)
    # RSpace answers a deletion with no data (and "success": false) whether or not it did it.
    return ajax(empty_error=True)


@router.get(f"{AJAX}/oAuthConnectedApps")
async def connected_apps(request: Request) -> Response:
    user = page_user(request)
    apps = mock_of(request).profile.connected_apps(user)
    listed = [
        {"clientName": a.client_name, "clientId": a.client_id, "scope": a.scope} for a in apps
    ]
    return ajax({"oauthConnectedApps": listed})


@router.delete(AJAX + "/oAuthConnectedApps/{client_id}")
async def disconnect(request: Request, client_id: str = Path()) -> Response:
    user = page_user(request)
    try:
        mock_of(request).profile.disconnect(user, client_id)
    except ApiProblem as problem:
        return ajax(error=problem.message)
    return ajax(True)


def _key_info(info: ApiKeyInfo) -> dict[str, Any]:
    return {
        "key": info.key,
        "revokable": info.revokable,
        "regenerable": True,
        "enabled": info.enabled,
        "message": info.message,
        "age": info.age,
    }


@router.get(f"{AJAX}/apiKeyDisplayInfo")
async def api_key_info(request: Request) -> Response:
    user = page_user(request)
    return ajax(_key_info(mock_of(request).profile.api_key_info(user)))


@router.get(f"{AJAX}/apiKeyValue")
async def api_key_value(request: Request) -> Response:
    user = page_user(request)
    if user.api_key_hash is None:
        return ajax(error="API key is not set")
    return ajax("apiKey is ACTIVE")


@router.post(f"{AJAX}/apiKey")
async def generate_or_revoke_api_key(request: Request) -> Response:
    user = page_user(request)
    form = await request.form()
    if str(form.get("_method") or "").upper() == "DELETE":  # Spring's HiddenHttpMethodFilter
        return _revoked(request, user)
    try:
        info = mock_of(request).profile.generate_api_key(user, str(form.get("password") or ""))
    except ApiProblem as problem:
        return ajax(error=problem.message)
    return ajax(_key_info(info))


@router.delete(f"{AJAX}/apiKey")
async def revoke_api_key(request: Request) -> Response:
    return _revoked(request, page_user(request))


def _revoked(request: Request, user: User) -> Response:
    count = mock_of(request).profile.revoke_api_key(user)
    return Response(str(count), media_type="application/json;charset=UTF-8")

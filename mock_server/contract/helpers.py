"""Small request helpers shared by the contract tests."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import strategies as st

from .clauses import expect
from .target import AppCredentials, Target, UserCredentials

DOCUMENTS = "/api/v1/documents"

NOT_FOUND_MESSAGE = (
    "Document with id [{id}] could not be retrieved - possibly it has been deleted, does not "
    "exist, or you do not have permission to access it."
)


T = TypeVar("T")


def pick(data: st.DataObject, items: Sequence[T], label: str) -> T:
    """One of ``items``, drawn so that the draw does not depend on how many there are: a
    shared server's state must not change what hypothesis draws (it would call the run
    flaky and hide the failure)."""
    return items[data.draw(st.integers(0, 63), label=label) % len(items)]


def server_url_from_links(links: list[dict[str, str]]) -> str | None:
    """The server URL that RSpace puts in front of its links (``server.urls.prefix``)."""
    for link in links:
        href = str(link.get("link", ""))
        if link.get("rel") == "self" and "/api/v1/" in href:
            return href[: href.index("/api/v1/")]
    return None


def unknown_token_message(token: str) -> str:
    """RSpace's 401 message for a well-formed token it does not (or no longer) accept."""
    return f"User could not be authenticated for token {token[0]}......"


def check_dead_token_message(body: dict[str, Any], token: str) -> None:
    """A replaced, revoked or expired token is as unknown as one never issued (AUTH-BEARER-2)."""
    expected = unknown_token_message(token)
    expect(
        body.get("message") == expected,
        "AUTH-BEARER-2",
        f"a token no longer valid got the message {body.get('message')!r}, not {expected!r}",
    )


def api_key(user: UserCredentials) -> dict[str, str]:
    assert user.api_key, f"{user.username} has no API key"
    return {"apiKey": user.api_key}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def password_grant(
    user: UserCredentials, app: AppCredentials, *, is_jwt: bool = False
) -> dict[str, str]:
    params = {
        "grant_type": "password",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "username": user.username,
        "password": user.password or "",
    }
    if is_jwt:
        params["is_jwt"] = "true"
    return params


def refresh_grant(
    app: AppCredentials, refresh_token: str, *, is_jwt: bool = False
) -> dict[str, str]:
    params = {
        "grant_type": "refresh_token",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "refresh_token": refresh_token,
    }
    if is_jwt:
        params["is_jwt"] = "true"
    return params


def require_password_users(target: Target, count: int = 1) -> list[UserCredentials]:
    users = target.credentials.password_users
    if len(users) < count:
        which = "RSPACE_USERNAME/RSPACE_PASSWORD" + (
            " and RSPACE_USERNAME_2/RSPACE_PASSWORD_2" if count > 1 else ""
        )
        pytest.skip(f"needs {count} user(s) with a password: provide {which}")
    return users


def require_apps(target: Target, count: int = 1) -> list[AppCredentials]:
    apps = target.credentials.apps
    if len(apps) < count:
        which = "RSPACE_CLIENT_ID/RSPACE_CLIENT_SECRET" + (
            " and RSPACE_CLIENT_ID_2/RSPACE_CLIENT_SECRET_2" if count > 1 else ""
        )
        pytest.skip(f"needs {count} OAuth app(s): provide {which}")
    return apps


def require_api_key_users(target: Target, count: int = 1) -> list[UserCredentials]:
    users = target.credentials.api_key_users
    if len(users) < count:
        which = "RSPACE_USERNAME and RSPACE_API_KEY" + (
            " and RSPACE_USERNAME_2 and RSPACE_API_KEY_2" if count > 1 else ""
        )
        pytest.skip(f"needs {count} user(s) with an API key: provide {which}")
    return users


def require_writable(target: Target, what: str) -> None:
    if target.read_only:
        pytest.skip(f"skipped in --read-only mode: {what}")


def create_document(target: Target, owner: UserCredentials, body: dict[str, Any]) -> httpx.Response:
    """POST a document (its name must carry the run tag) and remember it for cleanup."""
    assert owner.api_key
    name = body.get("name")
    assert name is None or str(name).startswith(target.run_tag), name
    response = target.post(DOCUMENTS, json=body, headers=api_key(owner))
    if response.status_code == 201:
        target.remember_document(int(response.json()["id"]), owner.api_key)
    return response


def delete_document(target: Target, owner: UserCredentials, document_id: int) -> httpx.Response:
    response = target.delete(f"{DOCUMENTS}/{document_id}", headers=api_key(owner))
    if response.status_code == 204:
        target.forget_document(document_id)
    return response


def marker_document(target: Target, user: UserCredentials) -> int | None:
    """A document owned by ``user``, created once per target, to tell who a token belongs to."""
    markers = target.marker_documents
    if user.username in markers and user.api_key:
        # Another test on a shared server may have deleted it since.
        still_there = target.get(f"{DOCUMENTS}/{markers[user.username]}", headers=api_key(user))
        if still_there.status_code == 200:
            return markers[user.username]
    if target.read_only or not user.api_key:
        return None
    response = create_document(target, user, {"name": f"{target.run_tag}owner-{user.username}"})
    if response.status_code != 201:
        return None
    markers[user.username] = int(response.json()["id"])
    return markers[user.username]

"""A ``requests-oauthlib`` (2.0.0) OAuth client for RSpace, written as a conformance adapter
and as an example of what RSpace needs from an OAuth client:

* client credentials as form parameters (``include_client_id=True``), never HTTP Basic;
* refresh shortly *before* the access token expires, judged by an injectable clock;
* keep the newest refresh token (RSpace rotates it; the JWT flow returns none, so keep the
  old one then);
* on a 401, refresh once; if the refresh token is gone (404: another login replaced the
  pair, or the app was disconnected), log in with the password again, once;
* retry idempotent calls (GET) on 429/5xx and dropped connections, honouring
  ``X-Rate-Limit-WaitTimeMillis``; never replay a POST that may have been processed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import requests

from ..conformance import JWT, OAUTH, ClientSetup

#: Refresh this long before the server's expiry.
REFRESH_MARGIN = timedelta(seconds=60)
RETRY_STATUSES = {429, 500, 502, 503, 504}


class RSpaceOAuthClient:
    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        username: str,
        password: str,
        *,
        use_jwt: bool = False,
        now: Callable[[], datetime] | None = None,
        max_retries: int = 2,
        max_wait_seconds: float = 0.2,
    ) -> None:
        # requests-oauthlib refuses plain-http token URLs unless told otherwise.
        if base_url.startswith("http://"):
            os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
        from oauthlib.oauth2 import LegacyApplicationClient
        from requests_oauthlib import OAuth2Session

        self.base_url = base_url.rstrip("/")
        self.token_url = self.base_url + "/oauth/token"
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.password = password
        self.use_jwt = use_jwt
        self.now = now or (lambda: datetime.now().astimezone())
        self.max_retries = max_retries
        self.max_wait_seconds = max_wait_seconds
        # The password grant is oauthlib's "legacy application" flow.
        self.session = OAuth2Session(client=LegacyApplicationClient(client_id=client_id))
        self.refresh_token: str | None = None
        self.expires_at: datetime | None = None

    # -- tokens -----------------------------------------------------------------------------

    def _extra(self) -> dict[str, str]:
        return {"is_jwt": "true"} if self.use_jwt else {}

    def _store(self, token: dict[str, Any]) -> None:
        # The JWT flow may omit refresh_token: keep the one we have.
        if token.get("refresh_token"):
            self.refresh_token = token["refresh_token"]
        self.expires_at = self.now() + timedelta(seconds=int(token.get("expires_in", 0)))

    def login(self) -> None:
        token = self.session.fetch_token(
            self.token_url,
            username=self.username,
            password=self.password,
            client_id=self.client_id,
            client_secret=self.client_secret,
            include_client_id=True,
            **self._extra(),
        )
        self._store(token)

    def refresh(self) -> None:
        """Refresh grant; if RSpace no longer knows the refresh token, log in again."""
        if self.refresh_token is None:
            self.login()
            return
        from oauthlib.oauth2 import OAuth2Error

        try:
            token = self.session.refresh_token(
                self.token_url,
                refresh_token=self.refresh_token,
                client_id=self.client_id,
                client_secret=self.client_secret,
                include_client_id=True,
                **self._extra(),
            )
        except (OAuth2Error, ValueError, KeyError):
            # 404 "OAuth token not found": the pair was replaced or revoked.
            self.refresh_token = None
            self.login()
            return
        self._store(token)

    def _ensure_fresh(self) -> None:
        if self.expires_at is None:
            self.login()
        elif self.now() >= self.expires_at - REFRESH_MARGIN:
            self.refresh()

    # -- API calls --------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        idempotent = method.upper() in {"GET", "PUT", "DELETE"}
        reauthenticated = False
        attempt = 0
        while True:
            self._ensure_fresh()
            try:
                response: requests.Response = self.session.request(
                    method, self.base_url + path, timeout=10, **kwargs
                )
            except requests.ConnectionError:
                if idempotent and attempt < self.max_retries:
                    attempt += 1
                    continue
                raise
            if response.status_code == 401 and not reauthenticated:
                reauthenticated = True
                self.refresh()
                continue
            retryable = response.status_code in RETRY_STATUSES and (
                idempotent or response.status_code in (429, 503)
            )
            if retryable and attempt < self.max_retries:
                attempt += 1
                wait_ms = float(response.headers.get("X-Rate-Limit-WaitTimeMillis", "0") or 0)
                time.sleep(min(wait_ms / 1000, self.max_wait_seconds))
                continue
            response.raise_for_status()
            return response

    def close(self) -> None:
        self.session.close()


class OAuthRequestsAdapter:
    capabilities = frozenset({OAUTH, JWT})

    def __init__(self, setup: ClientSetup) -> None:
        self.client = RSpaceOAuthClient(
            setup.base_url,
            setup.client_id,
            setup.client_secret,
            setup.username,
            setup.password,
            use_jwt=setup.use_jwt,
            now=setup.now,
        )

    def login(self) -> None:
        self.client.login()

    def list_documents(self) -> Any:
        return self.client.request("GET", "/api/v1/documents").json()

    def get_document(self, document_id: int) -> Any:
        return self.client.request("GET", f"/api/v1/documents/{document_id}").json()

    def create_document(self, name: str) -> Any:
        return self.client.request("POST", "/api/v1/documents", json={"name": name}).json()

    def close(self) -> None:
        self.client.close()

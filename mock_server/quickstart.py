"""The OAuth guide's flow as shell commands, filled in for one server and its fixtures.

``rspace-mock serve`` prints it; the README shows it for the default fixtures (a test keeps
the two the same, and runs it). Every command works when pasted in order: each answer that
later commands need is kept in a variable, and the variables are those ``rspace-mock
contract`` reads (``RSPACE_URL``, ``RSPACE_USERNAME``...), none a shell sets itself.

Passwords, API keys and client secrets of a fixtures file are not printed (the banner is a
log): the flow reads them from the file. Only the default fixtures' well-known values, and a
client secret generated at start (shown once, as RSpace's dialog does), appear as they are.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class QuickstartCredentials:
    username: str
    password: str | None
    api_key: str | None
    client_id: str | None
    client_secret: str | None
    #: The client secret was generated at start (so it is in no file).
    secret_generated: bool = False


def pick_credentials(
    fixture_data: Mapping[str, Any], generated: Iterable[tuple[str | None, str, str]] = ()
) -> QuickstartCredentials | None:
    """The first user who may use the API (not locked, API access on), and an OAuth app
    whose secret is known (the fixtures', or one generated at start: (owner, id, secret)),
    the user's own first."""
    users = [
        user
        for user in fixture_data.get("users", [])
        if user.get("username")
        and not user.get("accountLocked")
        and user.get("apiAccess") is not False
        and (user.get("password") or user.get("apiKey"))
    ]
    if not users:
        return None
    user = next((u for u in users if u.get("password") and u.get("apiKey")), users[0])
    apps: list[tuple[str | None, str, str, bool]] = [
        (app.get("owner"), app["clientId"], app["clientSecret"], False)
        for app in fixture_data.get("apps", [])
        if app.get("clientId") and app.get("clientSecret")
    ]
    apps += [(*app, True) for app in generated]
    own = [app for app in apps if app[0] == user["username"]]
    _, client_id, secret, made = (own or apps)[0] if apps else (None, None, None, False)
    return QuickstartCredentials(
        user["username"], user.get("password"), user.get("apiKey"), client_id, secret, made
    )


_FIELD = (
    "json_field() { python3 -c "
    "'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' \"$1\"; }"
)


_FIXTURE = (
    "fixture() { python3 -c 'import json,sys; f,s,k,v,w=sys.argv[1:]; "
    'print(next(e[w] for e in json.load(open(f))[s] if e.get(k)==v))\' "$@"; }'
)


def quickstart_lines(
    url: str, credentials: QuickstartCredentials, secrets_file: Path | None = None
) -> list[str]:
    """The flow, one shell line per item (comments included, no indentation). With
    ``secrets_file``, the secrets that come from that fixtures file are read from it."""
    q = shlex.quote
    c = credentials
    lines = [f"export RSPACE_URL={q(url)}", f"export RSPACE_USERNAME={q(c.username)}"]

    def value(literal: str, section: str, key: str, entry: str, field: str) -> str:
        if secrets_file is None:
            return q(literal)
        return f'"$(fixture {q(str(secrets_file))} {section} {key} {q(entry)} {field})"'

    if secrets_file is not None:
        lines += [
            "# reads a value of the fixtures file (the server's log never shows them)",
            _FIXTURE,
        ]
    if c.password:
        password = value(c.password, "users", "username", c.username, "password")
        lines.append(f"export RSPACE_PASSWORD={password}")
    if c.api_key:
        lines.append(
            f"export RSPACE_API_KEY={value(c.api_key, 'users', 'username', c.username, 'apiKey')}"
        )
    if c.password and c.client_id and c.client_secret:
        secret = (
            q(c.client_secret)
            if c.secret_generated
            else value(c.client_secret, "apps", "clientId", c.client_id, "clientSecret")
        )
        lines += [
            f"export RSPACE_CLIENT_ID={q(c.client_id)}",
            f"export RSPACE_CLIENT_SECRET={secret}",
            "# picks a field out of a JSON answer",
            _FIELD,
            "",
            "# password grant (multipart, as in RSpace's guide; --form-string sends a value as",
            "# it is, where -F would read a file for a leading @ or <, and stop at a ;)",
            'TOKENS=$(curl -sS "$RSPACE_URL/oauth/token" -F grant_type=password \\',
            '  --form-string client_id="$RSPACE_CLIENT_ID" \\',
            '  --form-string client_secret="$RSPACE_CLIENT_SECRET" \\',
            '  --form-string username="$RSPACE_USERNAME" \\',
            '  --form-string password="$RSPACE_PASSWORD"); echo "$TOKENS"',
            'ACCESS_TOKEN=$(echo "$TOKENS" | json_field access_token)',
            'REFRESH_TOKEN=$(echo "$TOKENS" | json_field refresh_token)',
            "",
            "# an API call with the access token",
            'curl -sS -H "Authorization: Bearer $ACCESS_TOKEN" "$RSPACE_URL/api/v1/documents"',
            "",
            "# refresh: both tokens rotate (the old ones are now unknown), so keep the new pair",
            'TOKENS=$(curl -sS "$RSPACE_URL/oauth/token" -F grant_type=refresh_token \\',
            '  --form-string client_id="$RSPACE_CLIENT_ID" \\',
            '  --form-string client_secret="$RSPACE_CLIENT_SECRET" \\',
            '  --form-string refresh_token="$REFRESH_TOKEN"); echo "$TOKENS"',
            'ACCESS_TOKEN=$(echo "$TOKENS" | json_field access_token)',
            'REFRESH_TOKEN=$(echo "$TOKENS" | json_field refresh_token)',
            'curl -sS -H "Authorization: Bearer $ACCESS_TOKEN" "$RSPACE_URL/api/v1/documents"',
            "",
            "# a JWT instead (no refresh_token in the answer: the pair above stays valid)",
            'JWT=$(curl -sS "$RSPACE_URL/oauth/token" -F grant_type=password -F is_jwt=true \\',
            '  --form-string client_id="$RSPACE_CLIENT_ID" \\',
            '  --form-string client_secret="$RSPACE_CLIENT_SECRET" \\',
            '  --form-string username="$RSPACE_USERNAME" \\',
            '  --form-string password="$RSPACE_PASSWORD" | json_field access_token)',
            'curl -sS -H "Authorization: Bearer $JWT" "$RSPACE_URL/api/v1/documents"',
        ]
    if c.api_key:
        lines += [
            "",
            "# or with the user's API key",
            'curl -sS -H "apiKey: $RSPACE_API_KEY" "$RSPACE_URL/api/v1/documents"',
        ]
    return lines

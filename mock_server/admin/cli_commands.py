"""``rspace-mock <command>`` for a running fake: the admin API from the shell.

    rspace-mock create-app --user alice --name "My app"
    rspace-mock clock advance 3600
    rspace-mock fault add --path '/api/v1/documents' --kind error --status 503 --times 2
    rspace-mock journal --path /oauth/token

Every command talks HTTP to ``--url`` (default ``$RSPACE_MOCK_URL`` or
http://127.0.0.1:8080) and prints the admin API's JSON answer.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import math
import os
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from ..settings import token_ttl_argument

DEFAULT_URL = "http://127.0.0.1:8080"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        default=os.environ.get("RSPACE_MOCK_URL", DEFAULT_URL),
        help="base URL of the running fake (default: $RSPACE_MOCK_URL or %(default)s)",
    )
    parser.add_argument(
        "--admin-token",
        default=os.environ.get("RSPACE_MOCK_ADMIN_TOKEN"),
        help="the server's --admin-token, if it has one (default: $RSPACE_MOCK_ADMIN_TOKEN)",
    )


def add_admin_commands(commands: Any) -> None:
    """Add the admin subcommands to ``rspace-mock``'s subparsers."""

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = commands.add_parser(
            name, help=help_text, description=help_text
        )
        _common(parser)
        return parser

    add("reset", "reset a running fake to its fixtures (clock, journal and faults too)")
    fixtures = add("load-fixtures", "replace all state with a fixtures file")
    fixtures.add_argument(
        "file", type=Path, help="a fixtures JSON file (as serve --fixtures takes)"
    )

    user = add("create-user", "create a user")
    user.add_argument("--username", required=True, help="the login name")
    user.add_argument("--password", required=True, help="the password, for sign-in and grants")
    user.add_argument("--api-key", help="the user's API key (default: none)")
    user.add_argument("--locked", action="store_true", help="make the account locked")
    user.add_argument(
        "--no-api-access", action="store_true", help="switch the user's API access off"
    )
    user.add_argument("--pi", action="store_true", help="give the user the PI role")
    user.add_argument("--sysadmin", action="store_true", help="give the user the sysadmin role")

    group = add("create-group", "create a lab, collaboration or project group")
    group.add_argument("--name", required=True, help="its display name, e.g. 'Walsh Lab'")
    group.add_argument(
        "--type",
        choices=["LAB_GROUP", "COLLABORATION_GROUP", "PROJECT_GROUP"],
        help="default: LAB_GROUP",
    )
    group.add_argument("--pi", help="the PI's username (a user created with --pi)")
    group.add_argument(
        "--members", default="", help="comma-separated usernames of the other members"
    )
    group.add_argument("--lab-admins", default="", help="comma-separated usernames of lab admins")
    group.add_argument(
        "--view-all", action="store_true", help="let the lab admins read all the lab's work"
    )
    group.add_argument("--owners", default="", help="a project group's owners (usernames)")
    add("list-groups", "list groups and their members")

    update = add("update-user", "lock/unlock a user or switch their API access")
    update.add_argument("username", help="whose account")
    update.add_argument(
        "--locked", action=argparse.BooleanOptionalAction, help="lock (or --no-locked: unlock)"
    )
    update.add_argument(
        "--api-access",
        action=argparse.BooleanOptionalAction,
        help="switch API access on (or --no-api-access: off)",
    )

    app = add("create-app", "create an OAuth app; prints the client secret (shown once)")
    app.add_argument("--user", required=True, help="owner's username")
    app.add_argument("--name", required=True, help="the app's name, as RSpace's dialog asks")
    app.add_argument("--client-id", help="a client ID of your choosing (default: generated)")
    app.add_argument(
        "--client-secret", help="a client secret of your choosing (default: generated)"
    )

    add("list-apps", "list OAuth apps")
    add("list-users", "list users")

    delete_app = add("delete-app", "delete an OAuth app and every token issued for it")
    delete_app.add_argument("--client-id", required=True, help="the app's client ID")

    disconnect = add("disconnect-app", "revoke a user's token pair for an app")
    disconnect.add_argument("--user", required=True, help="whose token pair")
    disconnect.add_argument("--client-id", required=True, help="the app's client ID")

    form = add(
        "create-form",
        "create a form from a JSON file of a form body (as POST /api/v1/forms takes it)",
    )
    form.add_argument(
        "file", type=Path, help='the form body, e.g. {"name": "Assay", "fields": [...]}'
    )
    form.add_argument("--owner", required=True, help="its owner's username")
    form.add_argument(
        "--state",
        choices=["NEW", "PUBLISHED", "UNPUBLISHED"],
        help="what it is left as (default: PUBLISHED, ready for documents)",
    )
    form.add_argument("--shared", action="store_true", help="share it with the owner's groups")

    document = add("create-document", "create a document")
    document.add_argument("--owner", required=True, help="its owner's username")
    document.add_argument("--name", help="its name (default: Untitled document)")
    document.add_argument("--tags", help="comma-separated tags")
    document.add_argument(
        "--form", help="the id of the form it is made from (default: Basic Document)"
    )

    folder = add("create-folder", "create a folder (or notebook) at a path, e.g. Projects/PCR")
    folder.add_argument("--owner", required=True, help="its owner's username")
    folder.add_argument("--path", required=True, help="from the home folder, e.g. Projects/PCR")
    folder.add_argument("--notebook", action="store_true", help="make the last one a notebook")

    upload = add("upload-file", "put a local file into a user's Gallery")
    upload.add_argument("file", type=Path, help="the local file to upload")
    upload.add_argument("--owner", required=True, help="whose Gallery")
    upload.add_argument("--name", help="its name in RSpace (default: the local file's name)")
    upload.add_argument("--folder", help="a Gallery folder path, e.g. Gallery/Images/Gels")
    upload.add_argument("--caption", help="the file's caption (default: none)")

    settings = add("settings", "show or change runtime settings")
    settings.add_argument(
        "--oauth", action=argparse.BooleanOptionalAction, help="allow OAuth (--no-oauth: deny)"
    )
    settings.add_argument(
        "--api",
        action=argparse.BooleanOptionalAction,
        help="RSpace's api.available switch (--no-api: the whole API answers 401)",
    )
    settings.add_argument(
        "--throttling",
        action=argparse.BooleanOptionalAction,
        help="RSpace's request throttling on (--no-throttling: off)",
    )
    settings.add_argument(
        "--refresh-keeps-expiry",
        action=argparse.BooleanOptionalAction,
        help="reproduce RSpace's bug: a refresh does not extend the stored expiry",
    )
    settings.add_argument(
        "--token-ttl",
        type=token_ttl_argument,
        metavar="SECONDS",
        help="access-token and JWT lifetime from now on",
    )

    clock = add("clock", "show or move the fake's clock")
    clock.add_argument(
        "action",
        nargs="?",
        default="show",
        choices=["show", "freeze", "set", "advance", "unfreeze", "reset"],
        help="what to do (default: show)",
    )
    clock.add_argument("value", nargs="?", help="seconds for advance; ISO time for set/freeze")

    journal = add("journal", "show (or --clear) the request journal")
    journal.add_argument("--path", help="only requests to this path (a trailing * matches more)")
    journal.add_argument("--method", help="only requests of this method")
    journal.add_argument("--user", help="only requests of this user")
    journal.add_argument("--clear", action="store_true", help="empty the journal instead")

    fault = add("fault", "add, list, remove or clear fault rules")
    fault.add_argument("action", choices=["add", "list", "remove", "clear"], help="what to do")
    fault.add_argument("rule_id", nargs="?", type=int, help="the rule to remove (for remove)")
    fault.add_argument(
        "--path",
        help="for add, required: the path it matches, exact or a glob (/api/v1/documents*; "
        "'*' for every path, /oauth/token too)",
    )
    fault.add_argument("--method", help="only this method (default: any)")
    fault.add_argument("--user", help="only this user's requests (default: anyone's)")
    fault.add_argument(
        "--kind",
        "--type",
        dest="kind",
        choices=["error", "delay", "drop", "truncate"],
        help="for add, required: answer with an error (needs --status), answer late (needs "
        "--delay), drop the connection, or cut the body short",
    )
    fault.add_argument("--status", type=int, help="the error's HTTP status, e.g. 503")
    fault.add_argument("--delay", type=float, help="seconds, for --kind delay")
    fault.add_argument("--nth", type=int, help="fire from the Nth matching request on")
    fault.add_argument("--probability", type=float, help="fire with this chance, 0 to 1")
    fault.add_argument(
        "--times", type=int, default=1, help="how often (default 1; 0: until cleared)"
    )
    fault.add_argument("--message", help="the error's message (default: RSpace's for the status)")


ADMIN_COMMANDS = frozenset(
    {
        "reset",
        "load-fixtures",
        "create-user",
        "update-user",
        "create-group",
        "list-groups",
        "create-app",
        "list-apps",
        "list-users",
        "delete-app",
        "disconnect-app",
        "create-form",
        "create-document",
        "create-folder",
        "upload-file",
        "settings",
        "clock",
        "journal",
        "fault",
    }
)


class AdminCallFailed(Exception):
    pass


def _call(
    args: argparse.Namespace,
    method: str,
    path: str,
    body: Any = None,
    query: dict[str, Any] | None = None,
) -> Any:
    # Imported here: only the admin commands need them, and `serve` starts faster without.
    import urllib.error
    import urllib.request

    url = args.url.rstrip("/") + "/_mock" + path
    if query:
        clean = {k: v for k, v in query.items() if v is not None}
        if clean:
            url += "?" + urllib.parse.urlencode(clean)
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if args.admin_token:
        request.add_header("X-Admin-Token", args.admin_token)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")
        with contextlib.suppress(ValueError, AttributeError):
            body = json.loads(detail)
            # the admin API's {"error": ...}, or an RSpace ApiError (e.g. a refused Host)
            detail = body.get("error") or body.get("message") or detail
        raise AdminCallFailed(f"{method} {url}: HTTP {exc.code}: {detail}") from None
    except urllib.error.URLError as exc:
        raise AdminCallFailed(
            f"cannot reach the fake at {args.url} ({exc.reason}); is `rspace-mock serve` "
            "running, and is --url right?"
        ) from None


def _dispatch(args: argparse.Namespace) -> Any:
    command = args.command
    if command == "reset":
        return _call(args, "POST", "/reset")
    if command == "load-fixtures":
        return _call(args, "PUT", "/fixtures", json.loads(Path(args.file).read_text("utf-8")))
    if command == "create-user":
        body: dict[str, Any] = {"username": args.username, "password": args.password}
        if args.api_key:
            body["apiKey"] = args.api_key
        if args.locked:
            body["accountLocked"] = True
        if args.no_api_access:
            body["apiAccess"] = False
        if args.pi:
            body["piRole"] = True
        if args.sysadmin:
            body["sysadminRole"] = True
        return _call(args, "POST", "/users", body)
    if command == "create-group":
        body = {"name": args.name}
        for key, value in (("type", args.type), ("pi", args.pi)):
            if value:
                body[key] = value
        for key, value in (
            ("members", args.members),
            ("labAdmins", args.lab_admins),
            ("owners", args.owners),
        ):
            names = [n.strip() for n in value.split(",") if n.strip()]
            if names:
                body[key] = names
        if args.view_all:
            body["labAdminsViewAll"] = True
        return _call(args, "POST", "/groups", body)
    if command == "list-groups":
        return _call(args, "GET", "/groups")
    if command == "update-user":
        body = {}
        if args.locked is not None:
            body["accountLocked"] = args.locked
        if args.api_access is not None:
            body["apiAccess"] = args.api_access
        return _call(args, "PATCH", f"/users/{urllib.parse.quote(args.username)}", body)
    if command == "create-app":
        body = {"owner": args.user, "name": args.name}
        if args.client_id:
            body["clientId"] = args.client_id
        if args.client_secret:
            body["clientSecret"] = args.client_secret
        return _call(args, "POST", "/apps", body)
    if command == "list-apps":
        return _call(args, "GET", "/apps")
    if command == "list-users":
        return _call(args, "GET", "/users")
    if command == "delete-app":
        return _call(args, "DELETE", f"/apps/{urllib.parse.quote(args.client_id)}")
    if command == "disconnect-app":
        user, client = urllib.parse.quote(args.user), urllib.parse.quote(args.client_id)
        return _call(args, "DELETE", f"/users/{user}/apps/{client}")
    if command == "create-form":
        try:
            form_body = json.loads(args.file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise AdminCallFailed(f"cannot read {args.file}: {exc.strerror}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AdminCallFailed(f"{args.file} is not a JSON form body: {exc}") from None
        if not isinstance(form_body, dict):
            raise AdminCallFailed(f"{args.file}: a form body must be a JSON object")
        form_body["owner"] = args.owner
        if args.state:
            form_body["state"] = args.state
        if args.shared:
            form_body["shared"] = True
        return _call(args, "POST", "/forms", form_body)
    if command == "create-document":
        body = {"owner": args.owner}
        for key in ("name", "tags"):
            if getattr(args, key):
                body[key] = getattr(args, key)
        if args.form:
            body["form"] = {"id": args.form}
        return _call(args, "POST", "/documents", body)
    if command == "create-folder":
        body = {"owner": args.owner, "path": args.path, "notebook": args.notebook}
        return _call(args, "POST", "/folders", body)
    if command == "upload-file":
        try:
            data = args.file.read_bytes()
        except OSError as exc:
            raise AdminCallFailed(f"cannot read {args.file}: {exc.strerror}") from None
        body = {
            "owner": args.owner,
            "name": args.name or args.file.name,
            "base64": base64.b64encode(data).decode("ascii"),
        }
        for key in ("folder", "caption"):
            if getattr(args, key):
                body[key] = getattr(args, key)
        return _call(args, "POST", "/files", body)
    if command == "settings":
        body = {}
        for flag, key in (
            ("oauth", "oauthEnabled"),
            ("api", "apiEnabled"),
            ("throttling", "throttling"),
            ("token_ttl", "tokenTtlSeconds"),
        ):
            if getattr(args, flag) is not None:
                body[key] = getattr(args, flag)
        if args.refresh_keeps_expiry is not None:
            body["quirks"] = {"refreshKeepsExpiry": args.refresh_keeps_expiry}
        return _call(args, "PATCH", "/settings", body) if body else _call(args, "GET", "/settings")
    if command == "clock":
        return _clock(args)
    if command == "journal":
        if args.clear:
            return _call(args, "DELETE", "/journal")
        query = {"path": args.path, "method": args.method, "user": args.user}
        return _call(args, "GET", "/journal", query=query)
    if command == "fault":
        return _fault(args)
    raise AdminCallFailed(f"unknown command {command}")


def _clock(args: argparse.Namespace) -> Any:
    action, value = args.action, args.value
    if action == "show":
        return _call(args, "GET", "/clock")
    if action == "advance":
        if value is None:
            raise AdminCallFailed("clock advance needs a number of seconds")
        try:
            seconds = float(value)
        except ValueError:
            raise AdminCallFailed(f"not a number of seconds: {value!r}") from None
        if not math.isfinite(seconds):  # JSON has no NaN or Infinity to send
            raise AdminCallFailed(f"not a finite number of seconds: {value!r}")
        return _call(args, "POST", "/clock/advance", {"seconds": seconds})
    if action == "set" and value is None:
        raise AdminCallFailed("clock set needs an ISO time, e.g. 2030-01-01T00:00:00Z")
    if action in ("set", "freeze"):
        return _call(args, "POST", f"/clock/{action}", {"at": value} if value else {})
    return _call(args, "POST", f"/clock/{action}")


def _fault(args: argparse.Namespace) -> Any:
    if args.action == "list":
        return _call(args, "GET", "/faults")
    if args.action == "clear":
        return _call(args, "DELETE", "/faults")
    if args.action == "remove":
        if args.rule_id is None:
            raise AdminCallFailed("fault remove needs the rule id (see `fault list`)")
        return _call(args, "DELETE", f"/faults/{args.rule_id}")
    # A default here would surprise: no --path would match every path, /oauth/token too, and
    # no --status would quietly mean 500.
    if args.path is None:
        raise ValueError(
            "fault add needs --path: the path the rule matches, e.g. /api/v1/documents "
            "('*' for every path)"
        )
    if args.kind is None:
        raise ValueError("fault add needs --kind: error, delay, drop or truncate")
    if args.kind == "error" and args.status is None:
        raise ValueError("fault add --kind error needs --status: the HTTP status, e.g. 503")
    if args.kind == "delay" and args.delay is None:
        raise ValueError("fault add --kind delay needs --delay SECONDS")
    rule: dict[str, Any] = {
        "path": args.path,
        "action": args.kind,
        "times": None if args.times == 0 else args.times,
    }
    if args.kind == "error":
        rule["status"] = args.status
    for key, value in (
        ("method", args.method),
        ("user", args.user),
        ("nth", args.nth),
        ("probability", args.probability),
        ("delay_seconds", args.delay),
        ("message", args.message),
    ):
        if value is not None:
            rule[key] = value
    return _call(args, "POST", "/faults", rule)


def run_admin_command(args: argparse.Namespace) -> int:
    try:
        result = _dispatch(args)
    except AdminCallFailed as exc:
        print(f"rspace-mock {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"rspace-mock {args.command}: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2))
    if args.command == "create-app" and isinstance(result, dict):
        print("(the client secret is shown this once)", file=sys.stderr)
    return 0

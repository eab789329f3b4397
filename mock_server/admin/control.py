"""What the admin API can do, as plain Python: one object used by the ``/_mock/`` router and by
the pytest plugin in-process. Inputs are the fixture file's camelCase shapes; outputs are
JSON-ready dicts. Problems raise :class:`AdminError` (rendered as a 4xx by the router)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..clock import ClockRangeError
from ..domain.errors import ApiProblem, NotFound
from ..domain.files import Upload
from ..domain.fixtures import (
    APP_KEYS,
    FILE_KEYS,
    FOLDER_KEYS,
    FORM_KEYS,
    SNIPPET_KEYS,
    USER_KEYS,
    FixtureError,
    SeedReport,
    explain,
    file_bytes,
    find_path,
    make_form,
    make_path,
    new_group_from_entry,
    new_user_from_entry,
)
from ..domain.kinds import APPS, GROUPS, USERS
from ..domain.models import Group, OAuthApp, User
from ..domain.system import load_switches, save_switches
from ..settings import Quirks, token_ttl_problem
from .faults import FaultRule, FaultRuleError, build_rule
from .journal import JournalEntry
from .validation import as_whole, missing_text_problem, unknown_keys_problem

if TYPE_CHECKING:
    from ..runtime import MockRSpace


class AdminError(Exception):
    """A refused admin request: ``status`` is 400, 404 or 409."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Seeded:
    """The credentials of the loaded fixtures, for tests (``rspace_mock.seeded``)."""

    users: dict[str, dict[str, Any]]
    apps: list[dict[str, Any]]

    def user(self, username: str) -> dict[str, Any]:
        return self.users[username]


USER_FLAGS = ("accountLocked", "apiAccess", "piRole", "sysadminRole", "tempAccount")


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "hasApiKey": user.api_key_hash is not None,
        "accountLocked": user.account_locked,
        "apiAccess": user.api_access,
        "piRole": user.has_pi_role,
        "sysadminRole": user.has_sysadmin_role,
        "enabled": user.enabled,
        "tempAccount": user.temp_account,
        "created": _timestamp(user.created) if user.created else None,
    }


def group_json(mock: MockRSpace, group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "name": group.name,
        "type": group.type,
        "uniqueName": group.unique_name,
        "sharedFolderId": group.shared_folder_id,
        "sharedSnippetFolderId": group.shared_snippet_folder_id,
        "members": [
            {"username": user.username, "role": member.role, "viewAll": member.view_all}
            for user, member in mock.groups.members_sorted(group)
        ],
    }


def _problem(exc: ApiProblem) -> AdminError:
    status = 404 if isinstance(exc, NotFound) else 400
    if "already exists" in exc.message or "belongs to another user" in exc.message:
        status = 409
    return AdminError(exc.message, status)


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise AdminError("'at' must be an ISO-8601 time such as 2030-01-01T00:00:00Z")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise AdminError(f"'at' is not an ISO-8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise AdminError("'at' needs a time zone (end it with Z)")
    return moment


def _check(
    data: dict[str, Any], allowed: set[str], required: tuple[str, ...] = (), what: str = "field"
) -> None:
    problem = unknown_keys_problem(data, allowed, what) or missing_text_problem(data, required)
    if problem:
        raise AdminError(problem)


def _check_types(data: dict[str, Any], texts: tuple[str, ...], flags: tuple[str, ...] = ()) -> None:
    """Optional keys as the fixture file has them: text, or true/false (null: left out)."""
    for key in texts:
        if data.get(key) is not None and not isinstance(data[key], str):
            raise AdminError(f"'{key}' must be a string")
    for key in flags:
        _flag(data, key)


def _flag(data: dict[str, Any], key: str) -> bool | None:
    value = data.get(key)
    if value is not None and not isinstance(value, bool):
        raise AdminError(f"'{key}' must be true or false")
    return value


class MockControl:
    """Test control over one :class:`~mock_server.runtime.MockRSpace`."""

    def __init__(self, mock: MockRSpace) -> None:
        self.mock = mock

    # -- state -----------------------------------------------------------------------------

    def reset(self, *, keep_clock: bool = False) -> dict[str, Any]:
        """Back to the loaded fixtures: store, journal, faults, throttling (and the clock)."""
        if not keep_clock:
            # First: what the fixtures make (folders, documents) is stamped with the clock.
            self.mock.clock.reset()
        report = self.mock.reset()
        self.mock.instruments.reset()
        self._restore_runtime_settings()
        return self._report(report)

    def load_fixtures(self, data: Any) -> dict[str, Any]:
        """Replace all state with ``data`` (the fixture file format); later resets return here."""
        if not isinstance(data, dict):
            raise AdminError(
                "fixtures must be an object with users, apps, folders, files, documents"
            )
        previous = self.mock.fixture_data
        try:
            report = self.mock.reset(data)
        except FixtureError as exc:
            self.mock.reset(previous)
            raise AdminError(str(exc)) from None
        self.mock.instruments.reset()
        self._restore_runtime_settings()
        return self._report(report)

    def _restore_runtime_settings(self) -> None:
        """Token lifetime and quirks back to the start-up settings."""
        self.mock.tokens.quirks = self.mock.settings.quirks
        self.mock.tokens.token_ttl = timedelta(seconds=self.mock.settings.token_ttl_seconds)

    def _report(self, report: SeedReport) -> dict[str, Any]:
        return {
            "users": report.users,
            "apps": [
                {"appName": created.app.name, "clientId": created.app.client_id}
                for created in report.apps
            ],
            "groups": report.groups,
            "forms": report.forms,
            "snippets": report.snippets,
            "documents": report.documents,
            "generatedCredentials": [
                {
                    "appName": created.app.name,
                    "clientId": created.app.client_id,
                    "clientSecret": created.client_secret,
                }
                for created in report.generated_credentials
            ],
        }

    def seeded(self) -> Seeded:
        """Usernames, passwords, API keys and app credentials of the loaded fixtures."""
        data = self.mock.fixture_data
        users = {u["username"]: dict(u) for u in data.get("users", []) if isinstance(u, dict)}
        apps = []
        secrets = {c.app.client_id: c.client_secret for c in self.mock.seed_report.apps}
        for created in self.mock.seed_report.apps:
            apps.append(
                {
                    "name": created.app.name,
                    "clientId": created.app.client_id,
                    "clientSecret": secrets[created.app.client_id],
                }
            )
        return Seeded(users, apps)

    # -- users ------------------------------------------------------------------------------

    def create_user(self, data: dict[str, Any]) -> dict[str, Any]:
        _check(data, USER_KEYS, required=("username", "password"))
        _check_types(data, ("apiKey", "email", "firstName", "lastName", "created"), USER_FLAGS)
        try:
            user = self.mock.directory.create_user(new_user_from_entry(data))
        except FixtureError as exc:
            raise AdminError(str(exc).removeprefix("user: ")) from None
        except ApiProblem as exc:
            raise _problem(exc) from None
        return user_json(user)

    def list_users(self) -> list[dict[str, Any]]:
        return [user_json(u) for u in self.mock.store.collection(USERS).select()]

    def _user(self, username: str) -> User:
        user = self.mock.store.collection(USERS).find("username", username)
        if user is None:
            raise AdminError(f"no user {username!r}", 404)
        return user

    def update_user(self, username: str, data: dict[str, Any]) -> dict[str, Any]:
        """Lock or unlock an account, switch a user's API access (RSpace's user settings)."""
        _check(data, {"accountLocked", "apiAccess"})
        locked, api_access = _flag(data, "accountLocked"), _flag(data, "apiAccess")
        with self.mock.store.transaction():
            user = self._user(username)
            if locked is not None:
                user.account_locked = locked
            if api_access is not None:
                user.api_access = api_access
            self.mock.store.collection(USERS).put(user)
        return user_json(user)

    # -- OAuth apps -------------------------------------------------------------------------

    @staticmethod
    def _app_json(app: OAuthApp, owner: str | None) -> dict[str, Any]:
        return {"appName": app.name, "clientId": app.client_id, "owner": owner}

    def create_app(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create an app; the answer holds the client secret, shown this once (like RSpace's
        "Create OAuth app" dialog, whose field is ``unhashedClientSecret``)."""
        data = dict(data)
        if "user" in data and "owner" not in data:
            data["owner"] = data.pop("user")
        _check(data, APP_KEYS, required=("owner", "name"))
        _check_types(data, ("clientId", "clientSecret"))
        try:
            created = self.mock.directory.create_app(
                data["owner"], data["name"], data.get("clientId"), data.get("clientSecret")
            )
        except ApiProblem as exc:
            raise _problem(exc) from None
        result = self._app_json(created.app, data["owner"])
        result["clientSecret"] = created.client_secret
        return result

    def create_group(self, data: dict[str, Any]) -> dict[str, Any]:
        """A group (as in fixtures: a name, a type, its PI, members and lab admins)."""
        try:
            new = new_group_from_entry(data, "group")
            group = self.mock.groups.create(new)
        except FixtureError as exc:
            raise AdminError(str(exc).removeprefix("group: ")) from None
        except ApiProblem as exc:
            raise AdminError(explain(exc), _problem(exc).status) from None
        return group_json(self.mock, group)

    def list_groups(self) -> list[dict[str, Any]]:
        groups = sorted(self.mock.store.collection(GROUPS).select(), key=lambda g: g.id)
        return [group_json(self.mock, g) for g in groups]

    def list_apps(self) -> list[dict[str, Any]]:
        users = {u.id: u.username for u in self.mock.store.collection(USERS).select()}
        return [
            self._app_json(a, users.get(a.owner_id))
            for a in self.mock.store.collection(APPS).select()
        ]

    def delete_app(self, client_id: str) -> dict[str, Any]:
        try:
            removed = self.mock.directory.delete_app(client_id)
        except ApiProblem as exc:
            raise _problem(exc) from None
        return {"clientId": client_id, "deleted": True, "revokedTokenRows": removed}

    def disconnect_app(self, username: str, client_id: str) -> dict[str, Any]:
        """RSpace's "disconnect app": the user's token pair (and its JWTs) for the app dies."""
        self._user(username)
        disconnected = self.mock.directory.disconnect_app(username, client_id)
        return {"username": username, "clientId": client_id, "disconnected": disconnected}

    # -- documents --------------------------------------------------------------------------

    def create_document(self, data: dict[str, Any]) -> dict[str, Any]:
        data = dict(data)
        owner = data.pop("owner", None)
        if not isinstance(owner, str):
            raise AdminError("'owner' (a username) is required")
        user = self._user(owner)
        try:
            document = self.mock.documents.create(user, data)
        except ApiProblem as exc:
            raise _problem(exc) from None
        return {
            "id": document.id,
            "globalId": document.global_id,
            "name": document.name,
            "owner": owner,
            "created": _timestamp(document.created),
        }

    def create_form(self, data: dict[str, Any]) -> dict[str, Any]:
        """A form (as in fixtures: a form body, its owner, its state, whether it is shared)."""
        _check(data, FORM_KEYS, ("owner", "name"))
        _check_types(data, ("owner", "name", "tags", "state"), ("shared",))
        user = self._user(data["owner"])
        try:
            form = make_form(self.mock.forms, user, data, "form")
        except FixtureError as exc:
            raise AdminError(str(exc).removeprefix("form: ")) from None
        return {
            "id": form.id,
            "globalId": form.global_id,
            "name": form.name,
            "owner": user.username,
            "formState": form.form_state,
            "fields": len(form.fields),
        }

    def create_snippet(self, data: dict[str, Any]) -> dict[str, Any]:
        """A snippet in the owner's Gallery/Snippets (as in fixtures)."""
        _check(data, SNIPPET_KEYS, ("owner", "name"))
        _check_types(data, ("owner", "name", "content"))
        user = self._user(data["owner"])
        try:
            snippet = self.mock.snippets.create(user, data["name"], data.get("content") or "")
        except ApiProblem as exc:
            raise _problem(exc) from None
        return {
            "id": snippet.id,
            "globalId": snippet.global_id,
            "name": snippet.name,
            "owner": user.username,
        }

    def create_folder(self, data: dict[str, Any]) -> dict[str, Any]:
        """A folder or notebook at a path from the owner's home folder (as in fixtures)."""
        _check(data, FOLDER_KEYS, ("owner", "path"))
        _check_types(data, ("owner", "path"), ("notebook",))
        user = self._user(data["owner"])
        try:
            folder = make_path(
                self.mock.folders, user, data["path"], notebook=bool(data.get("notebook"))
            )
        except FixtureError as exc:
            raise AdminError(str(exc)) from None
        except ApiProblem as exc:
            raise AdminError(explain(exc), _problem(exc).status) from None
        return {
            "id": folder.id,
            "globalId": folder.global_id,
            "name": folder.name,
            "owner": user.username,
            "notebook": folder.notebook,
            "parentFolderId": folder.parent_id,
        }

    def create_file(self, data: dict[str, Any]) -> dict[str, Any]:
        """A Gallery file (as in fixtures: ``text`` or ``base64`` bytes, an optional folder)."""
        _check(data, FILE_KEYS - {"path", "ref"}, ("owner", "name"))
        _check_types(data, ("owner", "name", "folder", "caption", "text", "base64"))
        user = self._user(data["owner"])
        try:
            content = file_bytes(data, "file", None)
            folder_id = None
            if data.get("folder"):
                found = find_path(self.mock.folders, user, data["folder"])
                if found is None:
                    raise AdminError(f"no folder {data['folder']!r} of {user.username}", 404)
                folder_id = found.id
            file = self.mock.files.upload(
                user, Upload(data["name"], content), folder_id, data.get("caption")
            )
        except FixtureError as exc:
            raise AdminError(str(exc).removeprefix("file: ")) from None
        except ApiProblem as exc:
            raise AdminError(explain(exc), _problem(exc).status) from None
        return {
            "id": file.id,
            "globalId": file.global_id,
            "name": file.name,
            "owner": user.username,
            "size": file.size,
            "parentFolderId": file.parent_folder_id,
        }

    # -- settings ---------------------------------------------------------------------------

    def get_settings(self) -> dict[str, Any]:
        switches = load_switches(self.mock.store)
        throttle = self.mock.instruments.throttle
        return {
            "apiEnabled": switches.api_enabled,
            "oauthEnabled": switches.oauth_enabled,
            "throttling": throttle.enabled,
            "throttleLimits": throttle.limits.to_json(),
            "quirks": {"refreshKeepsExpiry": self.mock.tokens.quirks.refresh_keeps_expiry},
            "tokenTtlSeconds": int(self.mock.tokens.token_ttl.total_seconds()),
            "journal": self.mock.instruments.journal.enabled,
        }

    def update_settings(self, data: dict[str, Any]) -> dict[str, Any]:
        allowed = {
            "apiEnabled",
            "oauthEnabled",
            "throttling",
            "throttleLimits",
            "quirks",
            "tokenTtlSeconds",
            "journal",
        }
        _check(data, allowed, what="setting")
        api, oauth = _flag(data, "apiEnabled"), _flag(data, "oauthEnabled")
        throttling, journal = _flag(data, "throttling"), _flag(data, "journal")
        limits = data.get("throttleLimits")
        if limits is not None and not isinstance(limits, dict):
            raise AdminError("'throttleLimits' must be an object")
        quirks = data.get("quirks")
        if quirks is not None:
            if not isinstance(quirks, dict) or set(quirks) - {"refreshKeepsExpiry"}:
                raise AdminError("'quirks' must be an object with refreshKeepsExpiry")
            _flag(quirks, "refreshKeepsExpiry")
        ttl = as_whole(data.get("tokenTtlSeconds"))
        ttl_problem = token_ttl_problem(ttl) if ttl is not None else None
        if ttl_problem is not None:
            raise AdminError(f"'tokenTtlSeconds' {ttl_problem}")
        if throttling is not None or limits is not None:
            try:
                self.mock.instruments.set_throttling(throttling, limits)
            except ValueError as exc:
                raise AdminError(str(exc)) from None
        if api is not None or oauth is not None:
            with self.mock.store.transaction():
                switches = load_switches(self.mock.store)
                if api is not None:
                    switches.api_enabled = api
                if oauth is not None:
                    switches.oauth_enabled = oauth
                save_switches(self.mock.store, switches)
        if quirks is not None and quirks.get("refreshKeepsExpiry") is not None:
            # A new object: the start-up settings stay as they were, for resets.
            self.mock.tokens.quirks = Quirks(refresh_keeps_expiry=quirks["refreshKeepsExpiry"])
        if ttl is not None:
            self.mock.tokens.token_ttl = timedelta(seconds=ttl)
        if journal is not None:
            self.mock.instruments.journal.enabled = journal
        return self.get_settings()

    # -- clock ------------------------------------------------------------------------------

    def clock_json(self) -> dict[str, Any]:
        clock = self.mock.clock
        return {
            "now": _timestamp(clock.now()),
            "frozen": clock.frozen,
            "offsetSeconds": clock.offset.total_seconds(),
        }

    def clock_freeze(self, at: Any = None) -> dict[str, Any]:
        try:
            self.mock.clock.freeze(_parse_time(at) if at is not None else None)
        except ClockRangeError as exc:
            raise AdminError(f"'at': {exc}") from None
        return self.clock_json()

    def clock_set(self, at: Any) -> dict[str, Any]:
        try:
            self.mock.clock.set(_parse_time(at))
        except ClockRangeError as exc:
            raise AdminError(f"'at': {exc}") from None
        return self.clock_json()

    def clock_advance(self, seconds: Any) -> dict[str, Any]:
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
            raise AdminError("'seconds' must be a number")
        try:
            self.mock.clock.advance(seconds)
        except ClockRangeError as exc:
            raise AdminError(f"'seconds': {exc}") from None
        return self.clock_json()

    def clock_unfreeze(self) -> dict[str, Any]:
        self.mock.clock.unfreeze()
        return self.clock_json()

    def clock_reset(self) -> dict[str, Any]:
        self.mock.clock.reset()
        return self.clock_json()

    # -- journal and faults -----------------------------------------------------------------

    def journal(self, **filters: Any) -> list[JournalEntry]:
        return self.mock.instruments.journal.entries(**filters)

    def clear_journal(self) -> int:
        return self.mock.instruments.journal.clear()

    def add_fault(self, data: dict[str, Any]) -> FaultRule:
        try:
            rule = build_rule(data)
        except FaultRuleError as exc:
            raise AdminError(str(exc)) from None
        return self.mock.instruments.faults.add(rule)

    def faults(self) -> list[FaultRule]:
        return self.mock.instruments.faults.rules()

    def remove_fault(self, rule_id: int) -> None:
        if not self.mock.instruments.faults.remove(rule_id):
            raise AdminError(f"no fault rule {rule_id}", 404)

    def clear_faults(self) -> None:
        self.mock.instruments.faults.clear()

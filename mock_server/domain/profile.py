"""My Profile: what a signed-in user sees of their account and does to it on that page.

Their OAuth apps (list, create, delete: the app's tokens die, every user's), the apps that hold
tokens for them ("Connected Apps": disconnect ends their pair and its JWTs), and their API key
(generate or regenerate after confirming the password, shown once; revoke), as rspace-web's
``UserProfileController``, ``OAuthAppManagerImpl`` and ``UserApiKeyManagerImpl`` do them. The
same services as the API and the admin API do the work (``Directory``); this module adds the
page's own rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..clock import Clock
from .credentials import CredentialFactory, password_matches, sha256_hex
from .directory import CreatedApp, Directory
from .errors import IllegalArgument, NotFound
from .kinds import APPS, TOKENS, USERS
from .models import OAuthApp, User
from .store import Store
from .system import load_switches

#: ``errors.password.invalid`` and ``errors.required`` for the password.
MSG_INVALID_PASSWORD = "Invalid password."
MSG_PASSWORD_REQUIRED = "Password is a required field."
#: ``ApiAvailabilityHandlerImpl``'s reasons the API is not available to a user.
MSG_API_DISABLED_GLOBALLY = "Access to all API has been disabled by your administrator"
MSG_API_DISABLED_FOR_USER = "API access has been disabled for your account"
MSG_NO_CONNECTION = "Could not find OAuth connection for the given client app and user."


@dataclass(frozen=True)
class ConnectedApp:
    client_id: str
    client_name: str
    scope: str


@dataclass(frozen=True)
class ApiKeyInfo:
    """``ApiKeyInfo``: the key itself only right after it was made."""

    key: str | None
    revokable: bool
    enabled: bool
    message: str
    #: Days since the key was made.
    age: int
    created: datetime | None


class Profile:
    def __init__(
        self, store: Store, clock: Clock, credentials: CredentialFactory, directory: Directory
    ) -> None:
        self.store = store
        self.clock = clock
        self.credentials = credentials
        self.directory = directory

    # -- OAuth apps ---------------------------------------------------------------------

    def own_apps(self, user: User) -> list[OAuthApp]:
        apps = self.store.collection(APPS).select(owner_id=user.id)
        return sorted(apps, key=lambda app: (app.name.lower(), app.client_id))

    def create_app(self, user: User, name: str) -> CreatedApp:
        """``POST /userform/ajax/oAuthApps/{name}``: RSpace checks only that the name is not
        blank and fits its column (duplicates are allowed)."""
        if not name.strip():
            raise IllegalArgument("name must be non-empty")
        return self.directory.create_app(user.username, name)

    def delete_app(self, user: User, client_id: str) -> None:
        """Only one's own app; every token of it, any user's, dies with it."""
        with self.store.transaction():
            app = self.store.collection(APPS).get(client_id)
            if app is None or app.owner_id != user.id:
                raise NotFound(
                    f"OAuth app with clientId {client_id}does not exist for the user {user.id}"
                )
            self.directory.delete_app(client_id)

    # -- connected apps -----------------------------------------------------------------

    def connected_apps(self, user: User) -> list[ConnectedApp]:
        """Apps (that still exist) holding a token row for the user."""
        apps = self.store.collection(APPS)
        found = []
        for row in self.store.collection(TOKENS).select(user_id=user.id):
            app = apps.get(row.client_id)
            if app is not None:
                found.append(ConnectedApp(app.client_id, app.name, row.scope))
        return sorted(found, key=lambda app: (app.client_name.lower(), app.client_id))

    def disconnect(self, user: User, client_id: str) -> None:
        if not self.directory.disconnect_app(user.username, client_id):
            raise NotFound(MSG_NO_CONNECTION)

    # -- the API key --------------------------------------------------------------------

    def api_key_info(self, user: User, key: str | None = None) -> ApiKeyInfo:
        switches = load_switches(self.store)
        message = ""
        if not switches.api_enabled:
            message = MSG_API_DISABLED_GLOBALLY
        elif not user.api_access:
            message = MSG_API_DISABLED_FOR_USER
        created = user.api_key_created
        age = (self.clock.now() - created).days if created is not None else 0
        return ApiKeyInfo(
            key, user.api_key_hash is not None, not message, message, max(age, 0), created
        )

    def generate_api_key(self, user: User, password: str) -> ApiKeyInfo:
        """A new key (replacing the old one) once the password is confirmed; shown once."""
        if not password:
            raise IllegalArgument(MSG_PASSWORD_REQUIRED)
        with self.store.transaction():
            current = self.store.collection(USERS).get(user.id) or user
            if not password_matches(password, current.password_hash):
                raise IllegalArgument(MSG_INVALID_PASSWORD)
            key = self.credentials.api_key()
            current.api_key_hash = sha256_hex(key)
            current.api_key_created = self.clock.now()
            self.store.collection(USERS).put(current)
            return self.api_key_info(current, key)

    def revoke_api_key(self, user: User) -> int:
        """How many keys went (0 or 1), as RSpace's bare count."""
        with self.store.transaction():
            current = self.store.collection(USERS).get(user.id) or user
            if current.api_key_hash is None:
                return 0
            current.api_key_hash = None
            current.api_key_created = None
            self.store.collection(USERS).put(current)
            return 1

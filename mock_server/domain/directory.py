"""Users and OAuth apps: creating them (from fixtures or at run time) and revoking access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .credentials import API_KEY_PATTERN, CredentialFactory, hash_password, sha256_hex
from .errors import IllegalArgument, NotFound
from .folders import FolderService
from .kinds import APPS, TOKENS, USERS
from .models import OAuthApp, User
from .paging import truncate_to_millis
from .store import Store
from .text import java_string_order, json_value_problem

APP_NAME_MAX_LENGTH = 100
#: ``UserManagerImpl.searchUsers``: a shorter term is refused.
MIN_SEARCH_LENGTH = 3


@dataclass(frozen=True)
class NewUser:
    username: str
    password: str
    api_key: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    account_locked: bool = False
    api_access: bool = True
    has_pi_role: bool = False
    has_sysadmin_role: bool = False
    #: When the account was made; now, when not given.
    created: datetime | None = None
    temp_account: bool = False


@dataclass(frozen=True)
class CreatedApp:
    """An app and its plain client secret: shown once, like RSpace's "Create OAuth app" dialog."""

    app: OAuthApp
    client_secret: str


def _require_text(**values: str | None) -> None:
    """Users and apps are listed and echoed in messages: their strings must be Unicode text."""
    problem = json_value_problem(values)
    if problem is not None:
        raise IllegalArgument(problem)


class Directory:
    def __init__(
        self, store: Store, credentials: CredentialFactory, folders: FolderService
    ) -> None:
        self.store = store
        self.credentials = credentials
        self.folders = folders
        self.clock = folders.clock

    def create_user(self, new: NewUser) -> User:
        _require_text(
            username=new.username,
            password=new.password,
            apiKey=new.api_key,
            email=new.email,
            firstName=new.first_name,
            lastName=new.last_name,
        )
        if not new.username or not new.password:
            raise IllegalArgument("A user needs a non-empty username and password")
        if new.api_key is not None and not API_KEY_PATTERN.match(new.api_key):
            raise IllegalArgument("apiKey must match [A-Za-z_0-9]+")
        with self.store.transaction():
            if self.store.collection(USERS).find("username", new.username) is not None:
                raise IllegalArgument(f"User '{new.username}' already exists")
            if new.api_key and self.store.collection(USERS).find(
                "api_key_hash", sha256_hex(new.api_key)
            ):
                raise IllegalArgument("That apiKey belongs to another user")
            user_id = self.store.next_id("user")
            home_folder_id = self.store.next_id("record")
            inbox_folder_id = self.store.next_id("record")
            user = User(
                id=user_id,
                username=new.username,
                password_hash=hash_password(new.password),
                email=new.email or f"{new.username}@example.org",
                first_name=new.first_name or new.username.capitalize(),
                last_name=new.last_name or "User",
                api_key_hash=sha256_hex(new.api_key) if new.api_key else None,
                account_locked=new.account_locked,
                api_access=new.api_access,
                home_folder_id=home_folder_id,
                api_inbox_folder_id=inbox_folder_id,
                has_pi_role=new.has_pi_role,
                has_sysadmin_role=new.has_sysadmin_role,
                created=new.created or truncate_to_millis(self.clock.now()),
                temp_account=new.temp_account,
            )
            self.store.collection(USERS).insert(user)
            # RSpace initialises an account on first use; the fake does it at once.
            self.folders.create_account_folders(user)
            return user

    def user_named(self, username: str) -> User:
        user = self.store.collection(USERS).find("username", username)
        if user is None:
            raise NotFound(f"User '{username}' not found")
        return user

    def create_app(
        self,
        owner: str,
        name: str,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> CreatedApp:
        _require_text(owner=owner, name=name, clientId=client_id, clientSecret=client_secret)
        if not name or len(name) > APP_NAME_MAX_LENGTH:
            raise IllegalArgument(f"App name must be 1 to {APP_NAME_MAX_LENGTH} characters")
        with self.store.transaction():
            owner_user = self.user_named(owner)
            client_id = client_id or self.credentials.client_id()
            client_secret = client_secret or self.credentials.client_secret()
            if self.store.collection(APPS).get(client_id) is not None:
                raise IllegalArgument(f"Client id {client_id} already exists")
            app = OAuthApp(
                client_id=client_id,
                name=name,
                owner_id=owner_user.id,
                client_secret_hash=sha256_hex(client_secret),
            )
            self.store.collection(APPS).insert(app)
            return CreatedApp(app, client_secret)

    def disconnect_app(self, username: str, client_id: str) -> bool:
        """The user's "disconnect app": deletes their token row (opaque tokens and JWTs die)."""
        with self.store.transaction():
            user = self.user_named(username)
            return self.store.collection(TOKENS).delete(client_id, user.id)

    def delete_app(self, client_id: str) -> int:
        """Deleting an app removes every token issued for it, then the app."""
        with self.store.transaction():
            if self.store.collection(APPS).get(client_id) is None:
                raise NotFound(f"OAuth app with clientId {client_id} does not exist")
            removed = self.store.collection(TOKENS).delete_where(client_id=client_id)
            self.store.collection(APPS).delete(client_id)
            return removed

    def search_users(self, query: str | None) -> list[User]:
        """``GET /userDetails/search``: users whose first or last name, email or username
        holds the term, in any case, by last name (``searchUsers``)."""
        if query is None or len(query.strip()) < MIN_SEARCH_LENGTH:
            raise IllegalArgument("Search term must be at least 3 characters")
        wanted = query.lower()
        found = [
            u
            for u in self.store.collection(USERS).select()
            if any(
                wanted in text.lower() for text in (u.first_name, u.last_name, u.email, u.username)
            )
        ]
        return sorted(found, key=lambda u: (java_string_order(u.last_name), u.id))

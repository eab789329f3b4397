"""The credentials the contract suite can be given, known without importing pytest.

Each is a ``--rspace-<name>`` option of the suite's pytest plugin, an ``RSPACE_<NAME>``
environment variable, and a ``--<name>`` flag of ``rspace-mock contract``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Credential:
    #: The option's name, with underscores (``api_key_2``).
    name: str
    #: What it is, for ``--help``.
    meaning: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "RSPACE_" + self.name.upper()


CREDENTIALS = (
    Credential("username", "a user the suite acts as"),
    Credential("password", "that user's password (for token grants)"),
    Credential("api_key", "that user's API key"),
    Credential("client_id", "an OAuth app's client ID"),
    Credential("client_secret", "that app's client secret"),
    Credential("username_2", "a second user, of one group with the first (isolation, sharing)"),
    Credential("password_2", "the second user's password"),
    Credential("api_key_2", "the second user's API key"),
    Credential("client_id_2", "a second OAuth app's client ID"),
    Credential("client_secret_2", "the second app's client secret"),
    Credential("locked_username", "a user whose account is locked"),
    Credential("locked_password", "the locked user's password"),
    Credential("api_disabled_username", "a user whose API access is switched off"),
    Credential("api_disabled_password", "that user's password"),
    Credential("api_disabled_api_key", "that user's API key"),
)

CREDENTIAL_NAMES = tuple(credential.name for credential in CREDENTIALS)


def _flags(*names: str) -> str:
    return ", ".join(Credential(name, "").flag for name in names)


def missing_credentials(values: Mapping[str, str | None]) -> list[str]:
    """One line per missing credential: what to give, and what goes unchecked without it."""
    has = {name for name, value in values.items() if value}
    lines = []
    if "username" not in has:
        return [
            f"no user ({_flags('username', 'password', 'api_key')}): only the clauses that "
            "need no account are checked"
        ]
    if "password" not in has:
        lines.append(f"no {_flags('password')}: token grants and Bearer calls are not checked")
    if "api_key" not in has:
        lines.append(f"no {_flags('api_key')}: calls with an apiKey header are not checked")
    if not {"client_id", "client_secret"} <= has:
        lines.append(
            f"no OAuth app ({_flags('client_id', 'client_secret')}): the token endpoint's "
            "clauses are not checked"
        )
    if "username_2" not in has:
        lines.append(
            f"no second user ({_flags('username_2', 'password_2', 'api_key_2')}): clauses "
            "about two users (isolation, sharing) are not checked"
        )
    if not {"client_id_2", "client_secret_2"} <= has:
        lines.append(
            f"no second OAuth app ({_flags('client_id_2', 'client_secret_2')}): clauses "
            "about two apps are not checked"
        )
    if "locked_username" not in has:
        lines.append(
            f"no locked user ({_flags('locked_username', 'locked_password')}): the "
            "locked-account clauses are not checked"
        )
    if "api_disabled_username" not in has:
        lines.append(
            f"no user without API access ({_flags('api_disabled_username')}, ...): the "
            "API-access clauses are not checked"
        )
    return lines

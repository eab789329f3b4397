"""Refuses what only a hostile web page would send: the fake runs on developers' machines, and
every page their browser opens can send requests to it.

* **DNS rebinding**: a page on ``evil.example`` points that name at ``127.0.0.1``; the browser
  then takes the fake for part of the page's own origin and lets its script read the answers.
  Its requests carry ``Host: evil.example``. A server bound to loopback therefore answers only
  the names that mean this machine (``localhost``, ``*.localhost``, loopback addresses), the
  address it is bound to, the host of ``--public-url`` and the names of ``--allow-host``.
  This holds for every path, RSpace's API included: the browser does not add an API key by
  itself, but the fake's keys and passwords are seldom secret (the default fixtures' are
  printed in its banner), so a rebinding page could otherwise read and change every document.
* **Cross-site requests**: any page can send a "simple" request (a form post, ``text/plain``)
  without asking first, so it could reset the fake or freeze its clock without reading the
  answer. A state-changing admin call whose ``Origin`` is not the server's own (or, without
  ``Origin``, whose ``Sec-Fetch-Site`` says another site) is refused; ``--allow-origin``
  admits the pages of a proxy in front of the admin API.

Clients other than browsers send no ``Origin`` and use the host they were given, so curl,
requests, the ``rspace-mock`` admin commands and the pytest plugin pass untouched. An
in-process app (Starlette's ``TestClient``, httpx's ``ASGITransport``) has no socket a page
could reach, and is not checked for its host.

Refusals are RSpace-shaped 403s (``ApiError``, internal code 40301, as RSpace's
``ApiControllerAdvice`` answers an authorisation failure) that say what was refused and which
flag allows it.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from ..domain.errors import ApiProblem
from ..runtime import MockRSpace
from ..settings import Settings, is_loopback_host, origin_of
from .admin_router import PREFIX as ADMIN_PREFIX
from .representations import api_error
from .responses import RSpaceJSONResponse

log = logging.getLogger("rspace_mock")

#: Methods that never change the fake's state (the admin API's reads).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Refused(ApiProblem):
    """A request refused because a web page, not a client, sent it."""

    http_status = 403
    internal_code = 40301


class ForeignHost(Refused):
    def __init__(self, host: str) -> None:
        super().__init__(
            f"Refused a request for host '{host}': this server listens on loopback only, and "
            "a web page reaches it under a name of its own by DNS rebinding. If you use that "
            f"name on purpose (a proxy, a hosts-file entry), start it with --allow-host {host}",
            [f"Host '{host}' is not allowed"],
        )


class CrossOriginAdminCall(Refused):
    def __init__(self, method: str, path: str, source: str, fix: str) -> None:
        super().__init__(
            f"Refused {method} {path} from {source}: the admin API changes the fake only for "
            f"clients that are not web pages, and for pages of the server's own origin. {fix}",
            [f"{method} {path} from {source} is not allowed"],
        )


def host_name(host_header: str) -> str:
    """``Lab.Example:8080`` -> ``lab.example``; ``[::1]:8080`` -> ``::1``."""
    value = host_header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


@dataclass(frozen=True)
class BrowserPolicy:
    """What a server built from one :class:`Settings` answers; see the module docstring."""

    #: Bound to a loopback address: foreign ``Host`` headers are refused.
    checks_host: bool
    #: Names answered besides loopback ones.
    host_names: frozenset[str]
    #: Origins whose pages may change state through the admin API, besides the server's own.
    origins: frozenset[str]
    admin_enabled: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> BrowserPolicy:
        # Normalised here too: Settings built in Python need not have passed check().
        names = {host_name(name) for name in (settings.host, *settings.allowed_hosts)}
        origins = set()
        for url in settings.allowed_origins:
            with contextlib.suppress(ValueError):
                origins.add(origin_of(url))
        if settings.public_url:
            with contextlib.suppress(ValueError):  # else not a URL a browser comes from
                public = origin_of(settings.public_url, path_allowed=True)
                origins.add(public)
                names.add(host_name(public.split("://", 1)[1]))
        return cls(
            checks_host=settings.binds_loopback and "*" not in names,
            host_names=frozenset(names),
            origins=frozenset(origins),
            admin_enabled=settings.admin_enabled,
        )

    def host_allowed(self, name: str) -> bool:
        return (
            name in self.host_names
            or name == "localhost"
            or name.endswith(".localhost")  # browsers resolve these to loopback themselves
            or is_loopback_host(name)
        )

    def refusal(self, scope: Scope) -> Refused | None:
        """Why this request must not be served, or None."""
        host = origin = fetch_site = None
        for key, value in scope["headers"]:
            if key == b"host" and host is None:
                host = value.decode("latin-1")
            elif key == b"origin" and origin is None:
                origin = value.decode("latin-1")
            elif key == b"sec-fetch-site" and fetch_site is None:
                fetch_site = value.decode("latin-1").strip().lower()
        if host is not None and self.checks_host and _over_loopback(scope):
            name = host_name(host)
            if not self.host_allowed(name):
                return ForeignHost(name)
        path: str = scope.get("path", "")
        is_admin = path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")
        method: str = scope.get("method", "GET")
        if not is_admin or not self.admin_enabled or method in SAFE_METHODS:
            return None
        if origin is not None:
            return self._origin_refusal(method, path, origin, scope.get("scheme", "http"), host)
        if fetch_site in ("cross-site", "same-site"):
            # A browser that says where a request comes from, without an Origin to compare.
            return CrossOriginAdminCall(
                method,
                path,
                f"a {fetch_site} web page (Sec-Fetch-Site: {fetch_site})",
                "A page is allowed by its origin (--allow-origin), and this one sent none.",
            )
        return None

    def _origin_refusal(
        self, method: str, path: str, origin: str, scheme: str, host: str | None
    ) -> Refused | None:
        try:
            sent = origin_of(origin)
        except ValueError:
            # "null": a sandboxed frame, a file: page or a redirect; nothing to allow.
            return CrossOriginAdminCall(
                method,
                path,
                f"a web page with origin '{origin}'",
                "Pages without an origin of their own cannot be allowed.",
            )
        own = None
        if host is not None:
            try:
                own = origin_of(f"{scheme}://{host}")
            except ValueError:
                own = None
        if sent == own or sent in self.origins:
            return None
        return CrossOriginAdminCall(
            method,
            path,
            f"a web page at {sent}",
            f"If pages there should call it (a proxy in front of the admin API), start the "
            f"server with --allow-origin {sent}",
        )


def _over_loopback(scope: Scope) -> bool:
    """The request came over a socket on a loopback address (not through an in-process
    transport, which has no socket a web page could reach)."""
    server = scope.get("server")
    return server is not None and isinstance(server[0], str) and is_loopback_host(server[0])


class BrowserGuard:
    """ASGI middleware, outermost: a refused request reaches neither the fake nor its
    instruments (it is not journaled, faulted or throttled)."""

    def __init__(self, app: ASGIApp, mock: MockRSpace) -> None:
        self.app = app
        self.mock = mock
        self.policy = BrowserPolicy.from_settings(mock.settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self.policy.refusal(scope)
        if refused is None:
            await self.app(scope, receive, send)
            return
        log.warning("%s %s -> 403 %s", scope.get("method"), scope.get("path"), refused.message)
        body = api_error(refused, self.mock.clock.now())
        await RSpaceJSONResponse(body, status_code=refused.http_status)(scope, receive, send)

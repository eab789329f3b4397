"""``rspace-mock``: run the fake RSpace from the command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import shlex
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .admin.cli_commands import ADMIN_COMMANDS, add_admin_commands, run_admin_command
from .settings import (
    DEFAULT_FIXTURES,
    DEFAULT_TOKEN_TTL_SECONDS,
    MAX_TOKEN_TTL_SECONDS,
    Quirks,
    Settings,
    token_ttl_argument,
)

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")

SERVE_EPILOG = """\
examples:
  rspace-mock serve                          # http://127.0.0.1:8080, default fixtures
  rspace-mock serve --port 0                 # any free port (printed on start)
  rspace-mock serve --fixtures my-lab.json --public-url https://rspace.example.org
  rspace-mock serve --no-oauth               # as if the sysadmin had disabled OAuth

Environment variables RSPACE_MOCK_HOST, RSPACE_MOCK_PORT, RSPACE_MOCK_FIXTURES,
RSPACE_MOCK_PUBLIC_URL, RSPACE_MOCK_TOKEN_TTL, RSPACE_MOCK_JWT_SECRET and
RSPACE_MOCK_LOG_LEVEL set the same options; flags win.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rspace-mock",
        description="A faithful fake of RSpace's OAuth token endpoint and /api/v1/documents API.",
    )
    parser.add_argument("--version", action="version", version=f"rspace-mock {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    serve = commands.add_parser(
        "serve",
        help="run the fake RSpace",
        description="Run the fake RSpace over HTTP, seeded from a fixtures file.",
        epilog=SERVE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", help="address to bind (default: 127.0.0.1, loopback only)")
    serve.add_argument(
        "--port", type=int, help="port to listen on; 0 picks a free one (default: 8080)"
    )
    serve.add_argument(
        "--fixtures",
        type=Path,
        metavar="FILE",
        help="JSON file of users, apps and documents to start with "
        "(default: the bundled fixtures/default.json)",
    )
    serve.add_argument(
        "--no-fixtures", action="store_true", help="start with no users, apps or documents"
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="base URL for _links and the JWT issuer, like RSpace's "
        "server.urls.prefix (default: each request's own scheme, host, port)",
    )
    serve.add_argument(
        "--token-ttl",
        type=token_ttl_argument,
        metavar="SECONDS",
        help=f"access token and JWT lifetime, 1 to {MAX_TOKEN_TTL_SECONDS} (default: "
        f"{DEFAULT_TOKEN_TTL_SECONDS}, RSpace's fixed hour)",
    )
    serve.add_argument(
        "--jwt-secret",
        metavar="B64",
        help="Base64 HMAC key for JWTs, like RSpace's jwt.secret (default: a random key per start)",
    )
    serve.add_argument(
        "--oauth",
        dest="oauth",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="allow OAuth (the sysadmin setting api.oauth.authentication; default: allowed, "
        "or as kept in --state); --no-oauth answers every grant and Bearer call with "
        "RSpace's 401",
    )
    serve.add_argument(
        "--quirk",
        action="append",
        default=[],
        metavar="NAME",
        choices=["refresh-keeps-expiry"],
        help="reproduce a real RSpace bug: refresh-keeps-expiry (a refresh does "
        "not extend the stored expiry, so a refreshed access token dies when the "
        "last password grant's would have)",
    )
    serve.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="keep all state in this SQLite file, so users, apps, tokens, documents, settings "
        "and the clock survive a restart (default: in memory). Fixtures seed a new or empty "
        "state file only; a file that already holds data is used as it is",
    )
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes (default: 1); more than one needs --state, and every token "
        "rule holds across them",
    )
    serve.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="seed for generated tokens and secrets (reproducible runs)",
    )
    serve.add_argument("--log-level", choices=LOG_LEVELS, help="log verbosity (default: info)")
    serve.add_argument(
        "--admin",
        dest="admin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="serve the test-control API under /_mock/ (default: on); --no-admin hides it",
    )
    serve.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="require X-Admin-Token: TOKEN on /_mock/ calls",
    )
    serve.add_argument(
        "--throttling",
        action="store_true",
        help="turn on RSpace's API throttling (token buckets: 15 per 15 s, 1000 per hour, "
        "5000 per day per user); off by default, as in RSpace",
    )
    add_admin_commands(commands)
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    for flag, name in (
        ("host", "host"),
        ("port", "port"),
        ("fixtures", "fixtures"),
        ("public_url", "public_url"),
        ("token_ttl", "token_ttl_seconds"),
        ("jwt_secret", "jwt_secret"),
        ("log_level", "log_level"),
        ("seed", "random_seed"),
        ("state", "state_file"),
        ("workers", "workers"),
    ):
        value = getattr(args, flag)
        if value is not None:
            overrides[name] = value
    if args.no_fixtures:
        overrides["fixtures"] = None
    if args.oauth is not None:
        overrides["oauth_enabled"] = args.oauth
    overrides["quirks"] = Quirks(refresh_keeps_expiry="refresh-keeps-expiry" in args.quirk)
    overrides["admin_enabled"] = args.admin
    if args.admin_token is not None:
        overrides["admin_token"] = args.admin_token
    overrides["throttling"] = args.throttling
    return Settings.from_env(**overrides)


def startup_banner(settings: Settings, url: str, mock: Any) -> str:
    lines = [
        f"rspace-mock {__version__}: fake RSpace {settings.rspace_version} at {url}",
        f"  OpenAPI docs: {url}/docs",
    ]
    report = mock.seed_report
    seeded_now = report.users or report.apps or report.documents
    if settings.state_file is not None:
        state = "new" if seeded_now else "kept from before; fixtures not loaded"
        lines.append(
            f"  state: {settings.state_file} ({state}: {len(mock.store.list_users())} users, "
            f"{len(mock.store.list_apps())} OAuth apps)"
        )
    if settings.fixtures is not None and seeded_now:
        lines.append(
            f"  fixtures: {settings.fixtures} ({report.users} users, "
            f"{len(report.apps)} OAuth apps, {report.documents} documents)"
        )
    for created in report.generated_credentials:
        lines.append(
            f"  OAuth app {created.app.name!r}: client id {created.app.client_id}, "
            f"client secret {created.client_secret} (shown once)"
        )
    if not mock.store.get_switches().oauth_enabled:
        lines.append("  OAuth is disabled (--no-oauth): grants and Bearer calls get 401")
    if settings.fixtures is not None and Path(settings.fixtures).resolve() == DEFAULT_FIXTURES:
        data = mock.fixture_data
        app = data["apps"][0]
        user = data["users"][0]
        token_cmd = (
            f'curl -X POST -Fgrant_type="password" -Fclient_id="{app["clientId"]}" '
            f'-Fclient_secret="{app["clientSecret"]}" -Fusername="{user["username"]}" '
            f'-Fpassword={shlex.quote(user["password"])} "{url}/oauth/token"'
        )
        lines += [
            "",
            "Get a token (RSpace's OAuth guide, against this server):",
            f"  {token_cmd}",
            "Then list documents with it:",
            f'  curl -H"Authorization: Bearer $ACCESS_TOKEN" "{url}/api/v1/documents"',
            f'Or with an API key: curl -H"apiKey: {user["apiKey"]}" "{url}/api/v1/documents"',
        ]
    return "\n".join(lines)


def serve(settings: Settings) -> int:
    import uvicorn

    from .domain.fixtures import FixtureError
    from .runtime import build_mock
    from .web.app import create_app

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        mock = build_mock(settings)
    except (FixtureError, ValueError, RuntimeError) as exc:
        print(f"rspace-mock: error: {exc}", file=sys.stderr)
        return 2
    if settings.workers > 1:
        return serve_workers(settings, mock)
    app = create_app(settings, mock=mock)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            # Ctrl-C or SIGTERM is a requested, clean stop: finish gracefully and exit 0
            # (uvicorn would re-raise the signal afterwards). A second Ctrl-C forces it.
            if self.should_exit and sig == signal.SIGINT:
                self.force_exit = True
            else:
                self.should_exit = True

        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.should_exit:
                return
            port = settings.port
            for server in self.servers:
                for sock in server.sockets:
                    port = sock.getsockname()[1]
            host = settings.host if ":" not in settings.host else f"[{settings.host}]"
            print(startup_banner(settings, f"http://{host}:{port}", mock), flush=True)

    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        lifespan="off",
        server_header=False,
        date_header=True,
    )
    server = Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve())
    if not server.started:
        print(
            f"rspace-mock: error: could not listen on {settings.host}:{settings.port} "
            "(is the port in use? try --port 0)",
            file=sys.stderr,
        )
        return 1
    return 0


def serve_workers(settings: Settings, mock: Any) -> int:
    """Several uvicorn worker processes over one SQLite state file (seeded here, once)."""
    import os

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from .web.app import SETTINGS_ENV

    os.environ[SETTINGS_ENV] = settings.to_json()
    config = uvicorn.Config(
        "mock_server.web.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        lifespan="off",
        server_header=False,
    )
    # Listen before the workers start, so that the URL printed below takes connections at
    # once (they queue until a worker accepts them); this also makes --port 0 work.
    sock = config.bind_socket()
    sock.listen(2048)
    port = sock.getsockname()[1]
    host = settings.host if ":" not in settings.host else f"[{settings.host}]"
    print(startup_banner(settings, f"http://{host}:{port}", mock), flush=True)
    print(f"  {settings.workers} workers sharing {settings.state_file}", flush=True)
    mock.store.close()  # each worker opens its own connections
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[sock]).run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        try:
            settings = settings_from_args(args)
        except ValueError as exc:
            parser.error(str(exc))
        return serve(settings)
    if args.command in ADMIN_COMMANDS:
        return run_admin_command(args)
    parser.error(f"unknown command {args.command}")
    return 2

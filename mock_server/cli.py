"""``rspace-mock``: run the fake RSpace from the command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .admin.cli_commands import ADMIN_COMMANDS, add_admin_commands, run_admin_command
from .contract.command import add_contract_command, run_contract
from .domain.files import MAX_UPLOAD_BYTES
from .domain.kinds import APPS, USERS
from .domain.system import load_switches
from .quickstart import pick_credentials, quickstart_lines
from .settings import (
    DEFAULT_FIXTURES,
    DEFAULT_TOKEN_TTL_SECONDS,
    MAX_TOKEN_TTL_SECONDS,
    Quirks,
    Settings,
    port_argument,
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
RSPACE_MOCK_PUBLIC_URL, RSPACE_MOCK_TOKEN_TTL, RSPACE_MOCK_JWT_SECRET,
RSPACE_MOCK_LOG_LEVEL, RSPACE_MOCK_STATE, RSPACE_MOCK_ADMIN_TOKEN, RSPACE_MOCK_ALLOW_HOST
and RSPACE_MOCK_ALLOW_ORIGIN (comma-separated lists) set the same options; flags win.

Web pages in your browser can send requests to the fake too. Bound to loopback, it answers
only Host names that mean this machine (and those of --public-url and --allow-host), so no
page can reach it by DNS rebinding; and the admin API refuses state-changing calls from
pages of another origin (--allow-origin admits one). Refusals are 403s saying which flag
allows them.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rspace-mock",
        description="A faithful fake of RSpace's OAuth token endpoint and /api/v1/documents API.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"rspace-mock {__version__}")
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
        "--port",
        type=port_argument,
        help="port to listen on, 0 to 65535; 0 picks a free one (default: 8080)",
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
        "--port-file",
        type=Path,
        metavar="FILE",
        help="once listening, write the port to FILE (one line), e.g. to learn the one "
        "--port 0 chose; GET /_mock/health then answers 200",
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
        metavar="FILE|URL",
        help="keep all state in this SQLite file, or in the PostgreSQL database of a "
        "postgresql://user:pass@host:5432/db URL (shared by every server that names it, on "
        "any host), so users, apps, tokens, documents, settings, the clock and the test "
        "instruments survive a restart (default: in memory). Fixtures seed a new or empty "
        "state only; a state that already holds data is used as it is",
    )
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes (default: 1); more than one needs --state, and every token "
        "rule holds across them",
    )
    serve.add_argument(
        "--max-upload",
        type=int,
        metavar="BYTES",
        help=f"largest upload request to /files, like RSpace's files.maxUploadSize (default: "
        f"{MAX_UPLOAD_BYTES}, 50 MiB)",
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
        "--allow-host",
        action="append",
        metavar="NAME",
        help="when bound to loopback, also answer requests for this Host name (a proxy's or "
        "a hosts-file name; repeatable; * for any). Allowed without it: localhost, "
        "*.localhost, loopback addresses, --host and the host of --public-url",
    )
    serve.add_argument(
        "--allow-origin",
        action="append",
        metavar="URL",
        help="let web pages on this origin (scheme://host[:port]) change state through the "
        "admin API, e.g. behind a proxy (repeatable; the server's own origin and that of "
        "--public-url need no flag)",
    )
    serve.add_argument(
        "--throttling",
        action="store_true",
        help="turn on RSpace's API throttling (token buckets: 15 per 15 s, 1000 per hour, "
        "5000 per day per user); off by default, as in RSpace",
    )
    add_contract_command(commands)
    completion = commands.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or tcsh)",
        description="Print a completion script for rspace-mock's commands and flags.",
        epilog="examples:\n"
        "  rspace-mock completion bash > ~/.local/share/bash-completion/completions/rspace-mock\n"
        '  eval "$(rspace-mock completion bash)"        # this shell only\n'
        "  rspace-mock completion zsh > ~/.zfunc/_rspace-mock   # with ~/.zfunc in $fpath",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    completion.add_argument("shell", choices=["bash", "zsh", "tcsh"], help="the shell")
    add_admin_commands(commands)
    return parser


def completion_script(shell: str) -> str:
    import shtab

    script: str = shtab.complete(build_parser(), shell=shell)
    return script


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
        ("workers", "workers"),
        ("max_upload", "max_upload_bytes"),
    ):
        value = getattr(args, flag)
        if value is not None:
            overrides[name] = value
    if args.state is not None:
        if args.state.startswith(("postgresql://", "postgres://")):
            overrides["state_url"], overrides["state_file"] = args.state, None
        else:
            overrides["state_file"], overrides["state_url"] = Path(args.state), None
    if args.no_fixtures:
        overrides["fixtures"] = None
    if args.oauth is not None:
        overrides["oauth_enabled"] = args.oauth
    overrides["quirks"] = Quirks(refresh_keeps_expiry="refresh-keeps-expiry" in args.quirk)
    overrides["admin_enabled"] = args.admin
    if args.admin_token is not None:
        overrides["admin_token"] = args.admin_token
    overrides["throttling"] = args.throttling
    if args.allow_host is not None:
        overrides["allowed_hosts"] = args.allow_host
    if args.allow_origin is not None:
        overrides["allowed_origins"] = args.allow_origin
    return Settings.from_env(**overrides)


def state_name(settings: Settings) -> str:
    """The ``--state`` value, with a database password hidden."""
    from .storage.engines.sql import redact_url

    if settings.state_url is not None:
        return redact_url(settings.state_url)
    return str(settings.state_file)


def startup_banner(settings: Settings, url: str, mock: Any) -> str:
    lines = [
        f"rspace-mock {__version__}: fake RSpace {settings.rspace_version} at {url}",
        f"  API docs:  {url}/docs  (also /redoc, /openapi.json)",
    ]
    if settings.admin_enabled:
        lines.append(
            f"  admin API: {url}/_mock  (docs /_mock/docs, health /_mock/health; "
            "from a shell: rspace-mock --help)"
        )
    report = mock.seed_report
    seeded_now = report.users or report.apps or report.documents
    if settings.durable:
        kept = "new" if seeded_now else "kept from before; fixtures not loaded"
        users = mock.store.collection(USERS).count()
        apps = mock.store.collection(APPS).count()
        lines.append(f"  state: {state_name(settings)} ({kept}: {users} users, {apps} OAuth apps)")
    if settings.fixtures is not None and seeded_now:
        lines.append(
            f"  fixtures: {settings.fixtures} ({report.users} users, "
            f"{len(report.apps)} OAuth apps, "
            + (f"{report.forms} forms, " if report.forms else "")
            + f"{report.documents} documents)"
        )
    for created in report.generated_credentials:
        lines.append(
            f"  OAuth app {created.app.name!r}: client id {created.app.client_id}, "
            f"client secret {created.client_secret} (shown once)"
        )
    if not load_switches(mock.store).oauth_enabled:
        lines.append("  OAuth is disabled (--no-oauth): grants and Bearer calls get 401")
    exposure = settings.admin_exposure_warning()
    if exposure is not None:
        lines += ["", *textwrap.wrap(exposure, 92, subsequent_indent="  ", break_on_hyphens=False)]
    if seeded_now:
        owners = {a.get("name"): a.get("owner") for a in mock.fixture_data.get("apps", [])}
        generated = [
            (owners.get(created.app.name), created.app.client_id, created.client_secret)
            for created in report.generated_credentials
        ]
        credentials = pick_credentials(mock.fixture_data, generated)
        if credentials is not None:
            lines += ["", "Try it: RSpace's OAuth guide against this server (paste in order):"]
            fixtures = settings.fixtures_path
            # The default fixtures' values are public (the README shows them); others stay
            # in their file.
            secrets_file = (
                None if fixtures is None or fixtures.resolve() == DEFAULT_FIXTURES else fixtures
            )
            flow = quickstart_lines(url, credentials, secrets_file)
            lines += [f"  {line}" if line else "" for line in flow]
    return "\n".join(lines)


def write_port_file(path: Path | None, port: int) -> None:
    """``port`` and a newline into ``path``, whole or not at all (a reader polling for the
    file never sees it half-written)."""
    if path is None:
        return
    import os

    partial = path.with_name(path.name + ".partial")
    partial.write_text(f"{port}\n", encoding="utf-8")
    os.replace(partial, path)


def serve(settings: Settings, port_file: Path | None = None) -> int:
    import uvicorn

    from .domain.fixtures import FixtureError
    from .runtime import build_mock
    from .web.app import create_app
    from .web.secret_scope import install_log_masking

    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Any library's log line about a request passes here, at any level: no secret in clear.
    install_log_masking(logging.getLogger().handlers)
    try:
        mock = build_mock(settings)
    except (FixtureError, ValueError, RuntimeError) as exc:
        print(f"rspace-mock: error: {exc}", file=sys.stderr)
        return 2
    if settings.workers > 1:
        return serve_workers(settings, mock, port_file)
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
            write_port_file(port_file, port)

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
    # uvicorn exits (SystemExit) when it cannot bind; the message below says why instead.
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        asyncio.run(server.serve())
    if not server.started:
        print(
            f"rspace-mock: error: could not listen on {settings.host}:{settings.port} "
            "(is the port in use? try --port 0)",
            file=sys.stderr,
        )
        return 1
    return 0


def worker_listener(config: Any) -> socket.socket:
    """The listening socket that ``config``'s workers share, with Nagle's algorithm off for
    every connection it accepts.

    uvicorn's ``Config.bind_socket`` makes a socket of protocol 0, and asyncio sets
    ``TCP_NODELAY`` only on accepted sockets of protocol ``IPPROTO_TCP``, so every connection
    to the workers kept Nagle on: a response written in two parts (head, then body) waited for
    the client's delayed ACK, about 40 ms per keep-alive request. A single server does not
    have the problem because asyncio makes its socket itself. So: the option on the listener
    (Linux, the BSDs and macOS copy it to each accepted socket) and the protocol asyncio looks
    for (it then sets the option on each accepted socket too).
    """
    sock: socket.socket = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        sock.set_inheritable(True)  # as bind_socket leaves its own
    sock.listen(2048)
    return sock


def serve_workers(settings: Settings, mock: Any, port_file: Path | None = None) -> int:
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
    sock = worker_listener(config)
    port = sock.getsockname()[1]
    host = settings.host if ":" not in settings.host else f"[{settings.host}]"
    print(startup_banner(settings, f"http://{host}:{port}", mock), flush=True)
    print(f"  {settings.workers} workers sharing {state_name(settings)}", flush=True)
    write_port_file(port_file, port)
    mock.store.close()  # each worker opens its own connections
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[sock]).run()
    return 0


def _command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The subcommand's own parser, so that its mistakes show its usage."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            chosen: argparse.ArgumentParser = action.choices[command]
            return chosen
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader went away (`rspace-mock ... | head`): not an error of ours. Python would
        # complain again when it flushes stdout at exit, so that goes nowhere now.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    command_parser = _command_parser(parser, args.command)
    if extras:
        command_parser.error(f"unrecognized arguments: {' '.join(extras)}")
    if args.command == "serve":
        try:
            settings = settings_from_args(args)
        except ValueError as exc:
            command_parser.error(str(exc))
        if args.port_file is not None and not args.port_file.parent.is_dir():
            command_parser.error(f"--port-file: no directory {args.port_file.parent}")
        return serve(settings, args.port_file)
    if args.command == "contract":
        return run_contract(args)
    if args.command == "completion":
        print(completion_script(args.shell))
        return 0
    if args.command in ADMIN_COMMANDS:
        return run_admin_command(args)
    parser.error(f"unknown command {args.command}")
    return 2

"""No secret is written in clear, however the client encodes it: the journal masks what the
server itself parsed (query string, urlencoded or multipart body, in any spelling the parser
accepts) and never shows a body it could not parse that may hold one; the access log masks
the query string, and no log line (at any level, tracebacks included) holds a secret."""

from __future__ import annotations

import json
import logging
import re
import string
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mock_server import Settings, create_app
from mock_server.admin.masking import read_json
from tests.http_helpers import APP, USERS, assert_api_error, make_client

PASSWORD = USERS["alice"]["password"]
CLIENT_SECRET = APP["clientSecret"]
BOUNDARY = "b0undary"

# Secrets long and odd enough not to occur by chance elsewhere in an entry (no CR or LF,
# which no header or multipart value could carry; no '*', the mask itself).
SECRET_CHARACTERS = string.ascii_letters + string.digits + " !\"#$%&'()+,-./:;<=>?@[\\]^_`{|}~éß€"
generated_secrets = st.builds(
    lambda upper, lower, digit, rest: upper + lower + digit + rest,
    st.sampled_from(string.ascii_uppercase),
    st.sampled_from(string.ascii_lowercase),
    st.sampled_from(string.digits),
    st.text(alphabet=SECRET_CHARACTERS, min_size=5, max_size=30),
).filter(lambda s: s.strip() == s)

# What a query string or urlencoded body can carry only percent-encoded.
_MUST_ENCODE = set('&=+%#;"<>\\^`{|}[] ')


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), text)


def written_forms(secret: str) -> set[str]:
    """The secret as it could stand in the journal's JSON: raw, percent-encoded (either case,
    ``+`` or ``%20`` for a space), JSON-escaped."""
    percent = {quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)}
    forms = {secret, *percent, *(_lower_hex(p) for p in percent)}
    forms |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    return forms


def assert_not_in_journal(journal: str, secrets: dict[str, str]) -> None:
    decoded = json.dumps(json.loads(journal), ensure_ascii=False)
    strings: list[str] = []
    stack: list[Any] = [json.loads(journal)]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            strings.append(item)
    texts = [journal, decoded, *strings]
    for label, secret in secrets.items():
        for form in written_forms(secret):
            for text in texts:
                assert form not in text, f"{label} {secret!r} is in the journal as {form!r}"


@st.composite
def percent_encoded(draw: st.DrawFn, text: str) -> str:
    """``text`` percent-encoded the way some client might: reserved characters always, any
    other character perhaps, hex digits in either case, a space as ``+`` or ``%20``."""
    out: list[str] = []
    for char in text:
        if char == " " and draw(st.booleans()):
            out.append("+")
        elif char in _MUST_ENCODE or not char.isascii() or draw(st.booleans()):
            for byte in char.encode("utf-8"):
                digits = f"{byte:02X}"
                out.append("%" + (digits.lower() if draw(st.booleans()) else digits))
        else:
            out.append(char)
    return "".join(out)


@st.composite
def urlencoded(draw: st.DrawFn, params: list[tuple[str, str]], separator: str = "&") -> str:
    pairs = [f"{draw(percent_encoded(k))}={draw(percent_encoded(v))}" for k, v in params]
    return separator.join(pairs)


NAME_SYNTAXES = [
    'name="{}"',
    "name={}",
    'name = "{}"',
    'NAME="{}"',
    'name="{}"; filename="notes.txt"',
    'name="other"; name="{}"',
]
DISPOSITION_HEADERS = ["Content-Disposition", "content-disposition", "CONTENT-DISPOSITION"]


@st.composite
def multipart(draw: st.DrawFn, params: list[tuple[str, str]]) -> str:
    parts = []
    for name, value in params:
        syntax = draw(st.sampled_from(NAME_SYNTAXES)).format(name)
        header = draw(st.sampled_from(DISPOSITION_HEADERS))
        extra = draw(st.sampled_from(["", "Content-Type: text/plain\r\n"]))
        parts.append(f"--{BOUNDARY}\r\n{header}: form-data; {syntax}\r\n{extra}\r\n{value}\r\n")
    return "".join(parts) + f"--{BOUNDARY}--\r\n"


@st.composite
def broken_multipart(draw: st.DrawFn, params: list[tuple[str, str]]) -> str:
    """Multipart bodies the parser refuses or reads only in part."""
    body = draw(multipart(params))
    secret = params[-1][1]
    return draw(
        st.sampled_from(
            [
                body.replace("\r\n", "\n"),  # LF line ends
                body[: body.rindex(f"--{BOUNDARY}--")],  # no closing delimiter
                body.rstrip("\r\n") + f"\r\npassword={secret}\r\n",  # an epilogue
                f"\r\npassword={secret}\r\n" + body,  # a preamble
                body.replace("form-data; ", "form-data; x", 1),  # a part without a name
            ]
        )
    )


MULTIPART_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
FORM_TYPE = "application/x-www-form-urlencoded"


@st.composite
def token_requests(draw: st.DrawFn, params: list[tuple[str, str]]) -> dict[str, Any]:
    """Keyword arguments for ``client.post("/oauth/token", ...)``: the parameters sent in one
    of the ways a client might, some that RSpace accepts and some that it refuses."""
    way = draw(
        st.sampled_from(
            [
                "query",
                "form",
                "mixed",
                "multipart",
                "multipart_and_query",
                "crlf_form",
                "wrong_type",
                "broken_multipart",
            ]
        )
    )
    if way == "query":
        return {"url": "/oauth/token?" + draw(urlencoded(params))}
    if way == "form":
        return {"content": draw(urlencoded(params)), "headers": {"content-type": FORM_TYPE}}
    if way == "mixed":
        split = draw(st.integers(min_value=0, max_value=len(params)))
        return {
            "url": "/oauth/token?" + draw(urlencoded(params[:split])),
            "content": draw(urlencoded(params[split:])),
            "headers": {"content-type": FORM_TYPE},
        }
    if way in ("multipart", "multipart_and_query"):
        secret_first = draw(st.booleans())
        query_part = params[-1:] if way == "multipart_and_query" and secret_first else []
        body_part = params[: len(params) - len(query_part)]
        request: dict[str, Any] = {
            "content": draw(multipart(body_part)),
            "headers": {"content-type": MULTIPART_TYPE},
        }
        if query_part:
            request["url"] = "/oauth/token?" + draw(urlencoded(query_part))
        return request
    if way == "crlf_form":  # pairs on lines of their own, as some hand-made clients send
        return {
            "content": draw(urlencoded(params, separator="\r\n")),
            "headers": {"content-type": FORM_TYPE},
        }
    if way == "wrong_type":
        content_type = draw(st.sampled_from(["text/plain", "application/json", None]))
        return {
            "content": draw(urlencoded(params)),
            "headers": {"content-type": content_type} if content_type else {},
        }
    return {"content": draw(broken_multipart(params)), "headers": {"content-type": MULTIPART_TYPE}}


@pytest.fixture(scope="module")
def shared_client() -> Iterator[TestClient]:
    with make_client() as client:
        yield client


def fresh_refresh_token(client: TestClient) -> str:
    form = {
        "grant_type": "password",
        "client_id": APP["clientId"],
        "client_secret": CLIENT_SECRET,
        "username": "alice",
        "password": PASSWORD,
    }
    response = client.post("/oauth/token", data=form)
    assert response.status_code == 200, response.text
    return str(response.json()["refresh_token"])


def send_and_read_journal(client: TestClient, request: dict[str, Any]) -> tuple[Any, str]:
    client.delete("/_mock/journal")
    url = request.pop("url", "/oauth/token")
    response = client.post(url, **request)
    assert response.status_code < 500, response.text
    assert response.content, "the response was cut short"
    journal = client.get("/_mock/journal")
    assert journal.status_code == 200
    return response, journal.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    under_test=st.sampled_from(["password", "client_secret", "refresh_token"]),
    genuine=st.booleans(),
    value=generated_secrets,
)
def test_no_encoding_of_a_secret_reaches_the_journal(
    shared_client: TestClient, data: st.DataObject, under_test: str, genuine: bool, value: str
) -> None:
    client = shared_client
    secrets = {"password": PASSWORD, "client_secret": CLIENT_SECRET}
    if under_test == "refresh_token":
        secrets["refresh_token"] = fresh_refresh_token(client) if genuine else value
        params = [
            ("grant_type", "refresh_token"),
            ("client_id", APP["clientId"]),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", secrets["refresh_token"]),
        ]
    else:
        if not genuine:
            secrets[under_test] = value
        params = [
            ("grant_type", "password"),
            ("client_id", APP["clientId"]),
            ("username", "alice"),
            ("client_secret", secrets["client_secret"]),
            ("password", secrets["password"]),
        ]
        # The parameter under test last: the broken bodies put it in their odd places.
        params.sort(key=lambda pair: pair[0] == under_test)
    if under_test != "refresh_token" and genuine:
        secrets.pop("refresh_token", None)
    request = data.draw(token_requests(params), label="request")
    response, journal = send_and_read_journal(client, request)
    if response.status_code == 200:
        issued = response.json()
        secrets["issued access token"] = issued["access_token"]
        secrets["issued refresh token"] = issued["refresh_token"]
    assert_not_in_journal(journal, secrets)


# The spellings that once kept the secret in clear in the journal, one by one.
SECRET = "Zq9-Sec ret&=%/+x"
KNOWN_LEAKS = {
    "multipart name unquoted": (
        MULTIPART_TYPE,
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=password\r\n\r\n{SECRET}\r\n"
        f"--{BOUNDARY}--\r\n",
    ),
    "multipart name spaced": (
        MULTIPART_TYPE,
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name = "password"\r\n\r\n{SECRET}\r\n'
        f"--{BOUNDARY}--\r\n",
    ),
    "percent-encoded key": (FORM_TYPE, f"grant_type=password&pass%77ord={quote(SECRET)}"),
    "key with an encoded equals sign": (FORM_TYPE, f"password%3D{quote(SECRET, safe='')}"),
    "every character percent-encoded": (
        FORM_TYPE,
        "".join(f"%{b:02x}" for b in b"password") + "=" + quote(SECRET, safe=""),
    ),
    "CRLF between pairs": (
        FORM_TYPE,
        f"grant_type=password\r\nusername=alice\r\npassword={quote(SECRET, safe='')}",
    ),
    "multipart with LF line ends": (
        MULTIPART_TYPE,
        f'--{BOUNDARY}\nContent-Disposition: form-data; name="password"\n\n{SECRET}\n'
        f"--{BOUNDARY}--\n",
    ),
    "multipart epilogue": (
        MULTIPART_TYPE,
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n'
        f"--{BOUNDARY}--\r\npassword={SECRET}\r\n",
    ),
}


@pytest.mark.parametrize("label", list(KNOWN_LEAKS))
def test_secrets_in_odd_spellings_are_masked(shared_client: TestClient, label: str) -> None:
    content_type, body = KNOWN_LEAKS[label]
    request = {"content": body.encode(), "headers": {"content-type": content_type}}
    _, journal = send_and_read_journal(shared_client, request)
    assert_not_in_journal(journal, {label: SECRET})


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "application/xml"])
def test_a_token_request_body_the_server_does_not_parse_is_not_shown(
    shared_client: TestClient, content_type: str
) -> None:
    body = f"grant_type=password&pass%77ord={quote(SECRET)}"
    # The fault plan's user rules read the body, so the journal captures it.
    rule = {"path": "/oauth/token", "user": "nobody", "action": "error", "status": 503}
    assert shared_client.post("/_mock/faults", json=rule).status_code < 300
    try:
        request = {"content": body.encode(), "headers": {"content-type": content_type}}
        _, journal = send_and_read_journal(shared_client, request)
    finally:
        shared_client.delete("/_mock/faults")
    (entry,) = json.loads(journal)["entries"]
    assert (
        entry["request_body"]
        == f"*** ({len(body)} bytes not shown: not a body the server could parse)"
    )
    assert_not_in_journal(journal, {"password": SECRET})


def test_masked_token_requests_keep_their_harmless_parameters(shared_client: TestClient) -> None:
    query = f"grant_type=password&client_id={APP['clientId']}&username=alice"
    body = f"pass%77ord={quote(PASSWORD)}&client_secret={quote(CLIENT_SECRET)}"
    response, journal = send_and_read_journal(
        shared_client,
        {"url": f"/oauth/token?{query}", "content": body, "headers": {"content-type": FORM_TYPE}},
    )
    assert response.status_code == 200
    (entry,) = json.loads(journal)["entries"]
    assert entry["query"] == query
    assert entry["request_body"] == "pass%77ord=***&client_secret=***"
    assert entry["params"] == {
        "grant_type": "password",
        "client_id": APP["clientId"],
        "username": "alice",
        "password": "***",
        "client_secret": "***",
    }
    assert json.loads(entry["response_body"])["access_token"] == "***"


def nested_json(depth: int) -> str:
    return "[" * depth + '{"password": "' + SECRET + '"}' + "]" * depth


@pytest.mark.parametrize("depth", [50, 900, 100_000])
@pytest.mark.parametrize("content_type", [FORM_TYPE, "application/json"])
def test_deeply_nested_json_to_the_token_endpoint_gets_rspace_answer_in_full(
    shared_client: TestClient, depth: int, content_type: str
) -> None:
    shared_client.delete("/_mock/journal")
    body = nested_json(depth)
    response = shared_client.post(
        "/oauth/token", content=body, headers={"content-type": content_type}
    )
    assert_api_error(response, 400, 40005)
    assert len(response.content) == int(response.headers["content-length"])
    assert_not_in_journal(shared_client.get("/_mock/journal").text, {"password": SECRET})


@pytest.mark.parametrize("depth", [50, 900, 100_000])
def test_deeply_nested_json_to_the_api_gets_rspace_answer_in_full(
    shared_client: TestClient, depth: int
) -> None:
    shared_client.delete("/_mock/journal")
    response = shared_client.post(
        "/api/v1/documents",
        content=nested_json(depth),
        headers={"content-type": "application/json", "apiKey": USERS["alice"]["apiKey"]},
    )
    assert response.status_code == 400, response.text
    assert response.json()["httpCode"] == 400
    journal = shared_client.get("/_mock/journal").text
    assert len(json.loads(journal)["entries"]) == 1
    assert_not_in_journal(journal, {"password": SECRET})


@example(depth=10_000)
@settings(max_examples=20, deadline=None)
@given(depth=st.integers(min_value=1, max_value=3000))
def test_masking_json_of_any_depth_never_fails(depth: int) -> None:
    masked = read_json(nested_json(depth))
    if masked is not None:
        assert SECRET not in masked[0]


# -- logs ----------------------------------------------------------------------------------

LAB_USER = {
    "username": "zed",
    "password": "Zed pass&word=9",
    "apiKey": "zedApiKey0000000000000000000009",
    "email": "zed@lab.example.org",
    "firstName": "Zed",
    "lastName": "Quist",
}
LAB_APP = {
    "name": "Log test",
    "owner": "zed",
    "clientId": "CLIENTFORLOGTEST",
    "clientSecret": "bG9nLXRlc3Qtc2VjcmV0LTAx",
}


def query_string(pairs: list[tuple[str, str]], encode: Callable[[str], str] = quote) -> str:
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs)


def test_grants_in_the_query_string_leave_no_secret_in_the_logs(
    serve_mock: Callable[..., Any], tmp_path: Path
) -> None:
    fixtures = tmp_path / "lab.json"
    fixtures.write_text(json.dumps({"users": [LAB_USER], "apps": [LAB_APP], "documents": []}))
    server = serve_mock("--fixtures", str(fixtures), "--log-level", "debug")
    client = {"client_id": LAB_APP["clientId"], "client_secret": LAB_APP["clientSecret"]}
    password_grant = [
        ("grant_type", "password"),
        *client.items(),
        ("username", "zed"),
        ("password", LAB_USER["password"]),
    ]
    all_percent = lambda text: "".join(f"%{b:02x}" for b in text.encode())  # noqa: E731
    with httpx.Client(base_url=server.url, timeout=10) as http:
        tokens = http.post("/oauth/token?" + query_string(password_grant)).json()
        refresh = [("grant_type", "refresh_token"), *client.items()]
        refreshed = http.post(
            "/oauth/token?"
            + query_string([*refresh, ("refresh_token", tokens["refresh_token"])], all_percent)
        )
        assert refreshed.status_code == 200, refreshed.text
        answers = [
            http.get(
                "/api/v1/documents",
                headers={"Authorization": f"Bearer {refreshed.json()['access_token']}"},
            ),
            # RSpace's answers quote a bad is_jwt value and a bad section of a JWT-shaped token.
            http.post(
                "/oauth/token?" + query_string([*password_grant, ("is_jwt", "Zed pass&word=9")])
            ),
            http.post(
                "/oauth/token?" + query_string([*refresh, ("refresh_token", "aaaa.b$cdef9.cc")])
            ),
            http.post(
                "/oauth/token?" + query_string(password_grant).replace("password=", "pass%77ord=")
            ),
            http.get("/api/v1/documents?" + query_string([("apiKey", LAB_USER["apiKey"])])),
        ]
    assert [a.status_code for a in answers] == [200, 400, 422, 200, 401]
    deadline = time.monotonic() + 10
    while server.stdout.count('HTTP/1.1"') < 7 and time.monotonic() < deadline:
        time.sleep(0.05)
    server.stop()
    output = server.stdout + server.stderr
    assert "For input string" in output and "not in base64 format" in output  # logged, masked
    assert (
        '"POST /oauth/token?grant_type=password&client_id=CLIENTFORLOGTEST&client_secret=***'
        '&username=zed&password=*** HTTP/1.1" 200' in server.stdout
    )
    assert '"GET /api/v1/documents?apiKey=*** HTTP/1.1" 401' in server.stdout
    secrets = {
        "password": LAB_USER["password"],
        "client secret": LAB_APP["clientSecret"],
        "API key": LAB_USER["apiKey"],
        "bad token section": "b$cdef9",
        **{f"issued {k}": v for k, v in tokens.items() if k.endswith("token")},
        **{f"refreshed {k}": v for k, v in refreshed.json().items() if k.endswith("token")},
    }
    for label, secret in secrets.items():
        for form in written_forms(secret) | {all_percent(secret)}:
            assert form not in output, f"{label} {secret!r} is in the log as {form!r}"


def test_a_traceback_logged_for_a_failed_grant_holds_no_secret(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(Settings(random_seed=3))

    def failing_grant(request: Any, server_url: str) -> Any:
        raise RuntimeError(f"cannot grant {request.password!r} with {request.client_secret}")

    monkeypatch.setattr(app.state.mock.tokens, "grant", failing_grant)
    caplog.set_level(logging.DEBUG, logger="rspace_mock")
    with TestClient(app, raise_server_exceptions=False) as client:
        form = {"grant_type": "password", "client_id": APP["clientId"], "username": "alice"}
        body = query_string(
            [*form.items(), ("client_secret", CLIENT_SECRET), ("password", PASSWORD)]
        )
        response = client.post("/oauth/token?" + body)
    assert response.status_code == 500
    assert "RuntimeError: cannot grant" in caplog.text
    for secret in (PASSWORD, CLIENT_SECRET):
        for form_ in written_forms(secret):
            assert form_ not in caplog.text

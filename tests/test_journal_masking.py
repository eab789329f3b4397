"""The journal never holds a secret in clear: passwords, client secrets, tokens and API keys
are masked wherever a client puts them, and tokens in responses are masked too."""

from __future__ import annotations

import asyncio
import json
import string
from datetime import datetime, timezone
from urllib.parse import quote, urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.admin.journal import LocalJournal, RawExchange, mask_exchange
from mock_server.admin.masking import mask_header
from mock_server.storage.engines.memory import MemoryEngine
from mock_server.testing import RSpaceMockHandle
from mock_server.web.form_reading import read_form

# Secrets long enough not to occur by chance in the rest of an entry; '*' is the mask itself.
SECRET_ALPHABET = string.ascii_letters + string.digits + "+/=-_.~!$()@#%^ "
# Like real passwords and tokens: mixed case and a digit (so a secret is never a plain word
# such as "completed" that the entry holds anyway).
secrets = st.builds(
    lambda upper, lower, digit, rest: upper + lower + digit + rest,
    st.sampled_from(string.ascii_uppercase),
    st.sampled_from(string.ascii_lowercase),
    st.sampled_from(string.digits),
    st.text(alphabet=SECRET_ALPHABET, min_size=5, max_size=37),
).filter(lambda s: s.strip() == s)
SECRET_PARAMS = ("password", "client_secret", "refresh_token", "access_token")
NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


def rendered(exchange: RawExchange) -> str:
    return json.dumps(mask_exchange(1, exchange).to_json())


def assert_absent(secret: str, text: str) -> None:
    for form in {secret, quote(secret, safe=""), quote(secret), secret.replace(" ", "+")}:
        assert form not in text, f"secret {secret!r} found in the journal as {form!r}"


def exchange(**overrides: object) -> RawExchange:
    base: dict[str, object] = {
        "time": NOW,
        "method": "POST",
        "path": "/oauth/token",
        "query": "",
        "request_headers": [("content-type", "application/x-www-form-urlencoded")],
        "request_body": b"",
        "status": 200,
    }
    base.update(overrides)
    # As the web layer hands it over: with the body as the server's form parser read it.
    headers, body = base["request_headers"], base["request_body"]
    base["request_form"] = asyncio.run(read_form(headers, body))  # type: ignore[arg-type]
    return RawExchange(**base)  # type: ignore[arg-type]


@given(secret=secrets, param=st.sampled_from(SECRET_PARAMS))
def test_secret_in_a_form_body_is_masked(secret: str, param: str) -> None:
    body = urlencode({"grant_type": "password", "username": "alice", param: secret})
    assert_absent(secret, rendered(exchange(request_body=body.encode())))


@given(secret=secrets, param=st.sampled_from(SECRET_PARAMS))
def test_secret_in_the_query_string_is_masked(secret: str, param: str) -> None:
    query = urlencode({"grant_type": "password", param: secret})
    assert_absent(secret, rendered(exchange(query=query)))


@given(secret=secrets, param=st.sampled_from(SECRET_PARAMS))
def test_secret_in_a_multipart_body_is_masked(secret: str, param: str) -> None:
    boundary = "XyZboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\npassword\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="{param}"\r\n\r\n{secret}\r\n'
        f"--{boundary}--\r\n"
    )
    headers = [("content-type", f"multipart/form-data; boundary={boundary}")]
    assert_absent(secret, rendered(exchange(request_headers=headers, request_body=body.encode())))


@given(secret=secrets, param=st.sampled_from(SECRET_PARAMS))
def test_secret_in_a_json_body_is_masked_even_nested(secret: str, param: str) -> None:
    body = json.dumps({"outer": [{param: secret}], param: secret}).encode()
    headers = [("content-type", "application/json")]
    assert_absent(secret, rendered(exchange(request_headers=headers, request_body=body)))


@given(access=secrets, refresh=secrets)
def test_tokens_in_a_json_response_are_masked(access: str, refresh: str) -> None:
    body = json.dumps({"access_token": access, "refresh_token": refresh, "expires_in": 3599})
    text = rendered(
        exchange(
            response_headers=[("content-type", "application/json")],
            response_body=body.encode(),
        )
    )
    assert_absent(access, text)
    assert_absent(refresh, text)


@given(
    secret=secrets.filter(lambda s: " " not in s),
    header=st.sampled_from(["apiKey", "Authorization", "authorization", "APIKEY", "Cookie"]),
    scheme=st.sampled_from(["Bearer", "Basic", "bearer", ""]),
)
def test_secret_in_headers_is_masked_and_the_scheme_kept(
    secret: str, header: str, scheme: str
) -> None:
    value = f"{scheme} {secret}".strip()
    text = rendered(
        exchange(method="GET", path="/api/v1/documents", request_headers=[(header, value)])
    )
    assert_absent(secret, text)
    if header.lower() == "authorization" and scheme:
        assert mask_header(header, value) == f"{scheme} ***"


@given(secret=secrets, param=st.sampled_from(SECRET_PARAMS))
def test_a_secret_echoed_elsewhere_in_the_exchange_is_redacted(secret: str, param: str) -> None:
    body = urlencode({param: secret}).encode()
    echoed = f"unexpected value {secret} in request".encode()
    text = rendered(exchange(request_body=body, response_body=echoed))
    assert_absent(secret, text)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(password=secrets)
def test_over_http_no_password_or_token_reaches_the_journal(
    rspace_mock_app: RSpaceMockHandle, password: str
) -> None:
    rspace_mock_app.reset()
    rspace_mock_app.users.create("prop", password, api_key="propKey123456")
    app = rspace_mock_app.apps.create("prop", "Property app")
    with rspace_mock_app.client() as client:
        form = {
            "grant_type": "password",
            "client_id": app["clientId"],
            "client_secret": app["clientSecret"],
            "username": "prop",
            "password": password,
        }
        tokens = client.post("/oauth/token", data=form).json()
        client.post(
            "/oauth/token",
            params={
                "grant_type": "refresh_token",
                "client_id": app["clientId"],
                "client_secret": app["clientSecret"],
                "refresh_token": tokens["refresh_token"],
            },
        )
        client.get(
            "/api/v1/documents", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        client.get("/api/v1/documents", headers={"apiKey": "propKey123456"})
    journal = json.dumps([e.to_json() for e in rspace_mock_app.journal.requests()])
    for secret in (
        password,
        app["clientSecret"],
        tokens["access_token"],
        tokens["refresh_token"],
        "propKey123456",
    ):
        assert_absent(secret, journal)


def test_journal_is_a_bounded_ring_buffer() -> None:
    journal = LocalJournal(MemoryEngine(), capacity=3)
    for index in range(5):
        journal.record(exchange(path=f"/api/v1/documents/{index}"))
    assert [e.path for e in journal.entries()] == [
        "/api/v1/documents/2",
        "/api/v1/documents/3",
        "/api/v1/documents/4",
    ]
    assert [e.id for e in journal.entries()] == [3, 4, 5]


def test_journal_filters_by_path_prefix_method_user_and_status() -> None:
    journal = LocalJournal(MemoryEngine())
    journal.record(exchange(method="GET", path="/api/v1/documents", username="alice"))
    journal.record(exchange(method="POST", path="/api/v1/documents", username="bob", status=201))
    journal.record(exchange(method="POST", path="/oauth/token", username="alice"))
    assert len(journal.entries(path="/api/*")) == 2
    assert [e.method for e in journal.entries(method="post")] == ["POST", "POST"]
    assert [e.path for e in journal.entries(user="alice")] == ["/api/v1/documents", "/oauth/token"]
    assert [e.username for e in journal.entries(status=201)] == ["bob"]
    assert journal.clear() == 3
    assert journal.entries() == []

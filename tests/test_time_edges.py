"""Edge values of time and of the admin settings: the clock moved by NaN or 1e300, set to
year 9999 or year 1; a token lifetime of 10^12 seconds; JWTs whose exp is 1e20, a string or
a fraction; a non-ASCII admin token; throttle limits past a Java int. Each gets a 4xx (a 401
for a token), never a 5xx, and none leaves the fake in a state where later calls fail.

The clock stays from 1970-01-01T00:00:00Z to 9000-12-31T23:59:59Z and a token lives 1 s to
100 years: then every expiry the fake computes is a representable time.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mock_server import Settings, create_app
from mock_server.clock import Clock
from mock_server.settings import MAX_TOKEN_TTL_SECONDS
from tests.http_helpers import API_KEYS, assert_api_error, bearer, grant_form

JWT_KEY = bytes(range(32))
JSON = {"Content-Type": "application/json"}
ALICE = {"apiKey": API_KEYS["alice"]}
BAD_JWT = "User could not be authenticated for token e......"


def new_client(**extra: Any) -> TestClient:
    # A 500 is an answer here, not an exception: the tests check for it.
    return TestClient(
        create_app(Settings(random_seed=5, jwt_secret=base64.b64encode(JWT_KEY).decode(), **extra)),
        raise_server_exceptions=False,
    )


@pytest.fixture
def client() -> Iterator[TestClient]:
    with new_client() as test_client:
        yield test_client


def assert_fake_still_works(client: TestClient) -> None:
    """A password grant, a JWT grant, and API calls with each, an API key and a listing."""
    pair = client.post("/oauth/token", data=grant_form())
    assert pair.status_code == 200, pair.text
    jwt_grant = client.post("/oauth/token", data=grant_form(is_jwt="true"))
    assert jwt_grant.status_code == 200, jwt_grant.text
    for token in (pair.json()["access_token"], jwt_grant.json()["access_token"]):
        status = client.get("/api/v1/status", headers=bearer(token))
        assert status.status_code == 200, status.text
    assert client.get("/api/v1/documents", headers=ALICE).status_code == 200
    assert client.get("/_mock/clock").status_code == 200
    assert client.get("/_mock/settings").status_code == 200


def admin(client: TestClient, method: str, path: str, raw: str) -> Any:
    """An admin call with a raw JSON body (so NaN and 1e400 can be sent as written)."""
    return client.request(method, "/_mock" + path, content=raw.encode(), headers=JSON)


# -- the clock -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "seconds",
    ["1e300", "-1e300", "1e12", "-1e12", "NaN", "Infinity", "-Infinity", "1e400", "9" * 400],
    ids=lambda seconds: "a 400-digit integer" if len(seconds) > 20 else seconds,
)
def test_moving_the_clock_out_of_its_range_is_a_400_and_the_clock_stays(
    client: TestClient, seconds: str
) -> None:
    before = client.post("/_mock/clock/freeze").json()["now"]
    response = admin(client, "POST", "/clock/advance", f'{{"seconds": {seconds}}}')
    assert response.status_code == 400, response.text
    assert (
        "'seconds'" in response.json()["error"] or "not a JSON number" in response.json()["error"]
    )
    assert client.get("/_mock/clock").json()["now"] == before
    assert_fake_still_works(client)


@pytest.mark.parametrize(
    "at",
    [
        "9999-12-31T23:59:59Z",
        "9001-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+01:00",
        "1969-12-31T23:59:59Z",
        "+10000-01-01T00:00:00Z",
    ],
)
@pytest.mark.parametrize("action", ["set", "freeze"])
def test_a_time_outside_the_clocks_range_is_a_400(client: TestClient, action: str, at: str) -> None:
    response = client.post(f"/_mock/clock/{action}", json={"at": at})
    assert response.status_code == 400, response.text
    assert "'at'" in response.json()["error"]
    assert client.get("/_mock/clock").json()["offsetSeconds"] == 0.0
    assert_fake_still_works(client)


@pytest.mark.parametrize("at", ["1970-01-01T00:00:00Z", "9000-12-31T23:59:59Z"])
def test_at_either_end_of_the_range_the_longest_tokens_still_work(
    client: TestClient, at: str
) -> None:
    assert client.post("/_mock/clock/freeze", json={"at": at}).status_code == 200
    patched = client.patch("/_mock/settings", json={"tokenTtlSeconds": MAX_TOKEN_TTL_SECONDS})
    assert patched.status_code == 200, patched.text
    assert_fake_still_works(client)
    grant = client.post("/oauth/token", data=grant_form(is_jwt="true")).json()
    assert grant["expires_in"] == MAX_TOKEN_TTL_SECONDS


def test_an_advance_past_the_end_of_the_range_is_refused_whole(client: TestClient) -> None:
    client.post("/_mock/clock/freeze", json={"at": "9000-12-30T00:00:00Z"})
    response = client.post("/_mock/clock/advance", json={"seconds": 3 * 86400})
    assert response.status_code == 400
    assert client.get("/_mock/clock").json()["now"] == "9000-12-30T00:00:00.000Z"
    assert client.post("/_mock/clock/advance", json={"seconds": 86400}).status_code == 200


def test_a_stored_clock_out_of_range_is_ignored_for_the_system_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Stored:
        def load(self) -> str:
            return json.dumps({"offset_us": 0, "frozen_at": "9999-12-31T23:59:59+00:00"})

        def save(self, state: str) -> None:
            pass

    with caplog.at_level("WARNING", logger="rspace_mock"):
        clock = Clock(Stored())
    assert not clock.frozen
    assert abs((clock.now() - datetime.now(timezone.utc)).total_seconds()) < 60
    assert "ignoring the stored clock setting" in caplog.text


# -- the token lifetime ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "ttl",
    [10**12, MAX_TOKEN_TTL_SECONDS + 1, 0, -1, 1.5, True, "60", 10**400],
    ids=lambda ttl: "10**400" if ttl == 10**400 else repr(ttl),
)
def test_a_token_lifetime_outside_one_second_to_100_years_is_a_400(
    client: TestClient, ttl: object
) -> None:
    response = admin(client, "PATCH", "/settings", json.dumps({"tokenTtlSeconds": ttl}))
    assert response.status_code == 400, response.text
    assert f"from 1 to {MAX_TOKEN_TTL_SECONDS}" in response.json()["error"]
    assert client.get("/_mock/settings").json()["tokenTtlSeconds"] == 3600
    assert_fake_still_works(client)


def test_settings_built_in_python_get_the_same_token_lifetime_check() -> None:
    with pytest.raises(ValueError, match="--token-ttl must be a whole number of seconds"):
        create_app(Settings(token_ttl_seconds=10**12))


# -- JWT time claims -------------------------------------------------------------------------


def forged_jwt(client: TestClient, **claims: Any) -> str:
    """A JWT signed with the server's key, from a real one with some claims replaced."""
    token = client.post("/oauth/token", data=grant_form(is_jwt="true")).json()["access_token"]
    real = jwt.decode(
        token, JWT_KEY, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False}
    )
    real.update(claims)
    # PyJWT writes what it is given: NaN as NaN, 10**30 as an integer.
    return jwt.encode(real, JWT_KEY, algorithm="HS256", headers={"typ": None})


FUTURE = int(datetime(2900, 1, 1, tzinfo=timezone.utc).timestamp())

#: exp values RSpace (jjwt 0.11) reads as a date in the past, or not as a date at all.
REFUSED_EXP = {
    "1e20 (saturates, then * 1000 wraps)": 1e20,
    "-1e20": -1e20,
    "1.5": 1.5,
    "a number in a string, long ago": "123",
    "2**63 (its low 64 bits are -2**63)": 2**63,
    "-2**63": -(2**63),
    "1e308": 1e308,
    "infinity": float("inf"),
    "NaN": float("nan"),
    "a word": "tomorrow",
    "a list": [FUTURE],
    "true": True,
}


@pytest.mark.parametrize("exp", REFUSED_EXP.values(), ids=REFUSED_EXP)
def test_a_jwt_whose_exp_is_no_future_date_is_rspaces_401(client: TestClient, exp: Any) -> None:
    response = client.get("/api/v1/status", headers=bearer(forged_jwt(client, exp=exp)))
    assert_api_error(response, 401, 40101, BAD_JWT)
    assert_fake_still_works(client)


#: exp values jjwt reads as a future date, as the fake now does.
ACCEPTED_EXP = {
    "a fraction": FUTURE + 0.5,
    "a number in a string": str(FUTURE),
    "2**64 more (Java keeps the low 64 bits)": 2**64 + FUTURE,
}


@pytest.mark.parametrize("exp", ACCEPTED_EXP.values(), ids=ACCEPTED_EXP)
def test_a_jwt_exp_is_read_as_jjwt_reads_it(client: TestClient, exp: Any) -> None:
    response = client.get("/api/v1/status", headers=bearer(forged_jwt(client, exp=exp)))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("iat", [1e20, -1e20, float("inf"), float("nan"), "x", 10**30])
def test_a_jwt_iat_is_never_read(client: TestClient, iat: Any) -> None:
    response = client.get("/api/v1/status", headers=bearer(forged_jwt(client, iat=iat)))
    assert response.status_code == 200, response.text


#: nbf values and the answer jjwt's reading gives (1e20 saturates, and * 1000 wraps to -1000).
NBF_ANSWERS = {"year 33658": (10**12, 401), "a word": ("x", 401), "1e20": (1e20, 200)}
NBF_ANSWERS |= {"1970": (0, 200), "null": (None, 200), "a number in a string": ("0", 200)}


@pytest.mark.parametrize(("nbf", "status"), NBF_ANSWERS.values(), ids=NBF_ANSWERS)
def test_a_jwt_nbf_is_checked_against_the_mocks_clock(
    client: TestClient, nbf: Any, status: int
) -> None:
    response = client.get("/api/v1/status", headers=bearer(forged_jwt(client, nbf=nbf)))
    assert response.status_code == status, response.text


def test_a_jwt_nbf_in_the_future_of_the_mocks_clock_is_refused(client: TestClient) -> None:
    client.post("/_mock/clock/freeze", json={"at": "2030-01-01T00:00:00Z"})
    later = int(datetime(2030, 1, 1, 0, 5, tzinfo=timezone.utc).timestamp())
    refused = client.get("/api/v1/status", headers=bearer(forged_jwt(client, nbf=later)))
    assert_api_error(refused, 401, 40101, BAD_JWT)
    # Three minutes of clock skew, as for exp.
    close = client.get("/api/v1/status", headers=bearer(forged_jwt(client, nbf=later - 150)))
    assert close.status_code == 200, close.text


# -- other admin values ----------------------------------------------------------------------


def test_a_non_ascii_admin_token_header_is_a_401() -> None:
    with new_client(admin_token="s3cret") as client:
        for sent in ("é".encode(), "s3cret-é".encode(), b"\xff"):
            response = client.get("/_mock/clock", headers={b"X-Admin-Token": sent})
            assert response.status_code == 401, response.text
        assert client.get("/_mock/clock", headers={"X-Admin-Token": "s3cret"}).status_code == 200


def test_a_non_ascii_admin_token_can_be_sent_as_utf8() -> None:
    with new_client(admin_token="clé") as client:
        response = client.get("/_mock/clock", headers={b"X-Admin-Token": "clé".encode()})
        assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "limit", [2**31, 10**40, 10**400, -1], ids=["2**31", "10**40", "10**400", "-1"]
)
def test_a_throttle_limit_past_a_java_int_is_a_400(client: TestClient, limit: int) -> None:
    body = json.dumps({"throttling": True, "throttleLimits": {"user_per_hour": limit}})
    response = admin(client, "PATCH", "/settings", body)
    assert response.status_code == 400, response.text
    assert "from 1 to 2147483647" in response.json()["error"]
    assert client.get("/api/v1/status", headers=ALICE).status_code == 200


def test_the_largest_throttle_limits_still_answer() -> None:
    with new_client() as client:
        largest = {"user_per_quarter_min": 2**31 - 1, "global_per_quarter_min": 2**31 - 1}
        patched = client.patch(
            "/_mock/settings", json={"throttling": True, "throttleLimits": largest}
        )
        assert patched.status_code == 200, patched.text
        status = client.get("/api/v1/status", headers=ALICE)
        assert status.status_code == 200, status.text
        assert status.headers["X-Rate-Limit-Limit"] == str(2**31 - 1)


# -- the property ----------------------------------------------------------------------------

NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 2**31, 2**63, 10**12, MAX_TOKEN_TTL_SECONDS, 86400 * 365 * 7000]),
)
TIMES = st.one_of(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda moment: moment.isoformat() + "Z"
    ),
    st.sampled_from(["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00", "soon"]),
)
LIMIT_KEYS = ["user_per_quarter_min", "user_per_hour", "user_min_interval_ms"]
ADMIN_CALL = st.one_of(
    st.tuples(st.just("/clock/advance"), st.builds(lambda n: {"seconds": n}, NUMBERS)),
    st.tuples(st.just("/clock/set"), st.builds(lambda at: {"at": at}, TIMES)),
    st.tuples(
        st.just("/clock/freeze"), st.one_of(st.just({}), st.builds(lambda at: {"at": at}, TIMES))
    ),
    st.tuples(st.sampled_from(["/clock/unfreeze", "/clock/reset"]), st.just({})),
    st.tuples(
        st.just("/settings"),
        st.fixed_dictionaries(
            {},
            optional={
                "tokenTtlSeconds": NUMBERS,
                "throttling": st.booleans(),
                "throttleLimits": st.dictionaries(st.sampled_from(LIMIT_KEYS), NUMBERS, max_size=2),
            },
        ),
    ),
)


@pytest.fixture(scope="module")
def shared_client() -> Iterator[TestClient]:
    with new_client() as test_client:
        yield test_client


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(calls=st.lists(ADMIN_CALL, max_size=6))
def test_no_sequence_of_clock_and_settings_calls_makes_a_later_call_fail(
    shared_client: TestClient, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    client = shared_client
    assert client.post("/_mock/reset").status_code == 200
    for path, body in calls:
        method = "PATCH" if path == "/settings" else "POST"
        response = admin(client, method, path, json.dumps(body))
        assert response.status_code < 500, (path, body, response.text)
    # Throttling may answer an API call with 429; nothing may answer with a 5xx.
    pair = client.post("/oauth/token", data=grant_form())
    jwt_grant = client.post("/oauth/token", data=grant_form(is_jwt="true"))
    assert (pair.status_code, jwt_grant.status_code) == (200, 200), (pair.text, jwt_grant.text)
    for headers in (
        bearer(pair.json()["access_token"]),
        bearer(jwt_grant.json()["access_token"]),
        ALICE,
    ):
        answer = client.get("/api/v1/documents", headers=headers)
        assert answer.status_code in (200, 429), answer.text
    for path in ("/clock", "/settings"):
        assert client.get("/_mock" + path).status_code == 200

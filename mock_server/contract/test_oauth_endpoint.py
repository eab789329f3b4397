"""/oauth/token: parameters, methods and every error of reference section A.5."""

from __future__ import annotations

import pytest

from .clauses import expect
from .helpers import (
    password_grant,
    refresh_grant,
    require_apps,
    require_password_users,
    require_writable,
)
from .shapes import check_error, check_token_response, json_body
from .target import AppCredentials, Target, UserCredentials

MISSING_PARAMETER = (
    "Required request parameter '{}' for method parameter type String is not present"
)
UNSUPPORTED_GRANT = "Only password grant and token refresh is supported for OAuth at this time."
PASSWORD_PARAMETERS = "Password grant requires parameters `username` and `password` to be present."
REFRESH_PARAMETER = "Refresh grant requires parameter `refresh_token` to be present."
UNKNOWN_REFRESH = "OAuth token not found! Perhaps its refresh rights have been removed."


def _user_and_app(target: Target) -> tuple[UserCredentials, AppCredentials]:
    return require_password_users(target)[0], require_apps(target)[0]


def _bogus_app() -> AppCredentials:
    return AppCredentials("A" * 39, "c2VjcmV0LW5vdC1rbm93bi10by1yc3BhY2U")


@pytest.mark.clause("OAUTH-ERR-MISSING-1")
@pytest.mark.parametrize("missing", ["grant_type", "client_id", "client_secret"])
def test_missing_required_parameter_is_400(target: Target, missing: str) -> None:
    params = password_grant(UserCredentials("nobody", "x"), _bogus_app())
    del params[missing]
    check_error(
        target.token(params),
        "OAUTH-ERR-MISSING-1",
        400,
        40005,
        MISSING_PARAMETER.format(missing),
    )


@pytest.mark.clause("OAUTH-ERR-EMPTYCLIENT-1")
@pytest.mark.parametrize("empty", ["client_id", "client_secret"])
def test_empty_client_parameter_is_401(target: Target, empty: str) -> None:
    params = password_grant(UserCredentials("nobody", "x"), _bogus_app())
    params[empty] = ""
    check_error(
        target.token(params),
        "OAUTH-ERR-EMPTYCLIENT-1",
        401,
        40101,
        f"Parameter {empty} must be present!",
        ["Authorisation error"],
    )


@pytest.mark.clause("OAUTH-ERR-GRANT-1")
@pytest.mark.parametrize(
    "grant_type", ["client_credentials", "authorization_code", "PASSWORD", "x"]
)
def test_unsupported_grant_type_is_422(target: Target, grant_type: str) -> None:
    params = password_grant(UserCredentials("nobody", "x"), _bogus_app())
    params["grant_type"] = grant_type
    check_error(
        target.token(params),
        "OAUTH-ERR-GRANT-1",
        422,
        42201,
        UNSUPPORTED_GRANT,
        [UNSUPPORTED_GRANT],
    )


@pytest.mark.clause("OAUTH-ERR-PASSWORD-1")
@pytest.mark.parametrize("field", ["username", "password"])
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_password_grant_without_username_or_password_is_422(
    target: Target, field: str, how: str
) -> None:
    user, app = _user_and_app(target)
    params = password_grant(user, app)
    if how == "absent":
        del params[field]
    else:
        params[field] = ""
    check_error(target.token(params), "OAUTH-ERR-PASSWORD-1", 422, 42201, PASSWORD_PARAMETERS)


@pytest.mark.clause("OAUTH-ERR-CREDENTIALS-1")
def test_unknown_username_is_401(target: Target) -> None:
    app = require_apps(target)[0]
    params = password_grant(UserCredentials("no-such-user-contract-test", "whatever"), app)
    check_error(
        target.token(params),
        "OAUTH-ERR-CREDENTIALS-1",
        401,
        40101,
        "Invalid user credentials.",
        ["Authorisation error"],
    )


@pytest.mark.clause("OAUTH-ERR-CREDENTIALS-1")
def test_wrong_password_is_401(target: Target) -> None:
    user, app = _user_and_app(target)
    params = password_grant(UserCredentials(user.username, f"{user.password}-not"), app)
    check_error(
        target.token(params), "OAUTH-ERR-CREDENTIALS-1", 401, 40101, "Invalid user credentials."
    )


@pytest.mark.clause("OAUTH-ERR-CLIENT-1")
@pytest.mark.parametrize("wrong", ["client_id", "client_secret"])
def test_right_user_with_wrong_client_is_401(target: Target, wrong: str) -> None:
    user, app = _user_and_app(target)
    params = password_grant(user, app)
    params[wrong] = _bogus_app().client_id if wrong == "client_id" else _bogus_app().client_secret
    check_error(
        target.token(params),
        "OAUTH-ERR-CLIENT-1",
        401,
        40101,
        "OAuth token could not be created.",
    )


@pytest.mark.clause("OAUTH-ERR-USER-1")
def test_locked_user_is_401(target: Target) -> None:
    locked = target.credentials.locked_user
    if locked is None:
        pytest.skip("needs a locked user: provide RSPACE_LOCKED_USERNAME/RSPACE_LOCKED_PASSWORD")
    app = require_apps(target)[0]
    check_error(
        target.token(password_grant(locked, app)),
        "OAUTH-ERR-USER-1",
        401,
        40101,
        f"User '{locked.username}' has their account locked or disabled.",
    )


@pytest.mark.clause("OAUTH-ERR-USER-1")
def test_user_without_api_access_is_401(target: Target) -> None:
    disabled = target.credentials.api_disabled_user
    if disabled is None:
        pytest.skip(
            "needs a user with API access off: provide RSPACE_API_DISABLED_USERNAME/_PASSWORD"
        )
    app = require_apps(target)[0]
    check_error(
        target.token(password_grant(disabled, app)),
        "OAUTH-ERR-USER-1",
        401,
        40101,
        f"User '{disabled.username}' doesn't have access to API",
    )


@pytest.mark.clause("OAUTH-ERR-REFRESH-1")
@pytest.mark.parametrize(
    ("refresh_token", "message"),
    [
        (None, REFRESH_PARAMETER),
        ("", REFRESH_PARAMETER),
        ("tooShort", "token length incorrect"),
        ("A" * 33, "token length incorrect"),
        ("!" * 32, "token not in base64 format"),
    ],
)
def test_missing_or_malformed_refresh_token_is_422(
    target: Target, refresh_token: str | None, message: str
) -> None:
    app = require_apps(target)[0]
    params = refresh_grant(app, refresh_token or "")
    if refresh_token is None:
        del params["refresh_token"]
    check_error(target.token(params), "OAUTH-ERR-REFRESH-1", 422, 42201, message, [message])


@pytest.mark.clause("OAUTH-ERR-REFRESH-2")
def test_unknown_refresh_token_is_404(target: Target) -> None:
    app = require_apps(target)[0]
    check_error(
        target.token(refresh_grant(app, "Q" * 32)),
        "OAUTH-ERR-REFRESH-2",
        404,
        50301,
        UNKNOWN_REFRESH,
        [""],
    )


@pytest.mark.clause("OAUTH-ERR-REFRESH-2")
def test_refresh_with_unknown_client_is_404(target: Target) -> None:
    check_error(
        target.token(refresh_grant(_bogus_app(), "Q" * 32)),
        "OAUTH-ERR-REFRESH-2",
        404,
        50301,
        "ClientId or ClientSecret incorrect",
    )


@pytest.mark.clause("OAUTH-METHOD-1")
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_token_endpoint_accepts_post_only(target: Target, method: str) -> None:
    response = target.request(method, "/oauth/token")
    # The body of this 405 is not specified (rspace-web's OAuthClientController does not
    # say: probably an HTML error page).
    expect(
        response.status_code == 405,
        "OAUTH-METHOD-1",
        f"{method} /oauth/token gave {response.status_code}",
    )


@pytest.mark.clause("OAUTH-PARAMS-1")
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart", "query"])
def test_token_parameters_are_read_from_body_or_query(target: Target, encoding: str) -> None:
    require_writable(target, "a password grant replaces the test user's OAuth token pair")
    user, app = _user_and_app(target)
    params = password_grant(user, app)
    if encoding == "urlencoded":
        response = target.post("/oauth/token", data=params)
    elif encoding == "multipart":
        files = {name: (None, value) for name, value in params.items()}
        response = target.post("/oauth/token", files=files)
    else:
        response = target.post("/oauth/token", params=params)
    expect(
        response.status_code == 200,
        "OAUTH-PARAMS-1",
        f"{encoding} parameters gave {response.status_code}: {response.text[:300]}",
    )
    check_token_response(json_body(response, "OAUTH-PARAMS-1"), "OAUTH-PARAMS-1")


@pytest.mark.clause("OAUTH-PARAMS-1")
def test_json_body_is_not_read(target: Target) -> None:
    user, app = _user_and_app(target)
    response = target.post("/oauth/token", json=password_grant(user, app))
    check_error(response, "OAUTH-PARAMS-1", 400, 40005, MISSING_PARAMETER.format("grant_type"))


@pytest.mark.clause("OAUTH-ISJWT-1")
@pytest.mark.parametrize(
    ("value", "is_jwt"),
    [("true", True), ("TRUE", True), ("on", True), ("yes", True), ("1", True)]
    + [("false", False), ("off", False), ("No", False), ("0", False)],
)
def test_is_jwt_takes_spring_booleans(target: Target, value: str, is_jwt: bool) -> None:
    require_writable(target, "a password grant replaces the test user's OAuth token pair")
    user, app = _user_and_app(target)
    params = dict(password_grant(user, app), is_jwt=value)
    response = target.token(params)
    expect(
        response.status_code == 200,
        "OAUTH-ISJWT-1",
        f"is_jwt={value!r} gave {response.status_code}: {response.text[:300]}",
    )
    access_token = check_token_response(json_body(response, "OAUTH-ISJWT-1"))["access_token"]
    expect(
        (access_token.count(".") == 2) == is_jwt,
        "OAUTH-ISJWT-1",
        f"is_jwt={value!r} gave access token {access_token[:20]}...",
    )


@pytest.mark.clause("OAUTH-ISJWT-1")
@pytest.mark.parametrize("value", ["maybe", "2", "truthy", "-1"])
def test_is_jwt_that_is_not_a_boolean_is_400(target: Target, value: str) -> None:
    user, app = _user_and_app(target)
    params = dict(password_grant(user, app), is_jwt=value)
    params["client_secret"] = _bogus_app().client_secret  # can never succeed
    check_error(target.token(params), "OAUTH-ISJWT-1", 400)


@pytest.mark.clause("OAUTH-ERR-MISSING-1")
@pytest.mark.parametrize(
    ("missing", "reported"),
    [
        (["client_id", "client_secret"], "client_secret"),
        (["grant_type", "client_secret"], "grant_type"),
        (["grant_type", "client_id", "client_secret"], "grant_type"),
    ],
)
def test_first_missing_parameter_is_reported(
    target: Target, missing: list[str], reported: str
) -> None:
    params = password_grant(UserCredentials("nobody", "x"), _bogus_app())
    for name in missing:
        del params[name]
    check_error(
        target.token(params), "OAUTH-ERR-MISSING-1", 400, 40005, MISSING_PARAMETER.format(reported)
    )


@pytest.mark.clause("OAUTH-ERR-MISSING-1")
def test_http_basic_client_authentication_is_not_read(target: Target) -> None:
    user, app = _user_and_app(target)
    params = password_grant(user, app)
    del params["client_id"], params["client_secret"]
    response = target.post("/oauth/token", data=params, auth=(app.client_id, app.client_secret))
    check_error(
        response, "OAUTH-ERR-MISSING-1", 400, 40005, MISSING_PARAMETER.format("client_secret")
    )

"""How the fake binds request values the way RSpace's Spring and Jackson do, where its own
OpenAPI document states those rules: repeated listing parameters, numbers in JSON bodies, the
form a body names, and malformed advanced queries (never a 500)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.http_helpers import API_KEYS, make_client

HEADERS = {"apiKey": API_KEYS["alice"]}


@pytest.fixture
def client() -> TestClient:
    return make_client()


def _create(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/documents", json=body, headers=HEADERS)


def test_repeated_integer_parameter_binds_its_first_value(client: TestClient) -> None:
    # Spring's ArrayToObjectConverter: pageNumber=x&pageNumber=1 binds "x", a 400.
    bad_first = client.get("/api/v1/documents?pageNumber=x&pageNumber=1", headers=HEADERS)
    assert bad_first.status_code == 400
    assert bad_first.json()["data"]["validationErrors"][0]["field"] == "pageNumber"
    good_first = client.get("/api/v1/documents?pageNumber=0&pageNumber=x", headers=HEADERS)
    assert good_first.status_code == 200


def test_repeated_string_parameter_binds_its_values_joined_by_commas(client: TestClient) -> None:
    # ArrayToStringConverter: orderBy=name asc&orderBy=name asc is "name asc,name asc".
    response = client.get("/api/v1/documents?orderBy=name+asc&orderBy=name+asc", headers=HEADERS)
    assert response.status_code == 400
    assert response.json()["data"]["validationErrors"][0]["rejectedValue"] == "name asc,name asc"


@pytest.mark.parametrize("fraction", [0.0, 0.9])
def test_a_long_in_a_json_body_may_be_a_fractional_number(
    client: TestClient, fraction: float
) -> None:
    # Jackson's ACCEPT_FLOAT_AS_INT is on by default: the fraction is cut off, so the
    # document goes into the folder the whole number names.
    home = client.get("/api/v1/folders/tree", headers=HEADERS).json()
    folder_id = home["folderId"]
    response = _create(client, {"parentFolderId": folder_id + fraction, "form": {"id": 3.0}})
    assert response.status_code == 201, response.text
    assert response.json()["parentFolderId"] == folder_id


def test_a_fractional_long_naming_no_folder_is_refused_as_that_folder_would_be(
    client: TestClient,
) -> None:
    response = _create(client, {"parentFolderId": -4280.5, "form": {"id": 3.0}})
    assert response.status_code == 401, response.text
    assert response.json()["message"].endswith("to open an unauthorised folder")


def test_a_long_in_a_json_body_out_of_range_is_a_400(client: TestClient) -> None:
    response = client.post(
        "/api/v1/documents",
        content=b'{"parentFolderId": 1e400}',
        headers={**HEADERS, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["internalCode"] == 40009


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"globalId": "SD3"}, "Wrong format of provided form.globalId [SD3]"),
        ({"globalId": "FM3x"}, "Wrong format of provided form.globalId [FM3x]"),
        ({"globalId": 3}, "Wrong format of provided form.globalId [3]"),
        ({"id": 4, "globalId": "FM3"}, "form.id [4] doesn't match form.globalId [FM3]"),
        (
            {"globalId": "FM999"},
            "Form with id [999] could not be retrieved - possibly it has been deleted, does not "
            "exist, or you do not have permission to access it.",
        ),
    ],
)
def test_a_form_global_id_must_be_well_formed_and_agree_with_the_id(
    client: TestClient, form: dict[str, Any], message: str
) -> None:
    response = _create(client, {"form": form})
    assert response.status_code == 422, response.text
    assert response.json()["message"] == message


@pytest.mark.parametrize(
    "form", [{}, {"id": None}, {"globalId": "FM3"}, {"id": "3", "globalId": "FM03"}]
)
def test_a_form_named_rightly_or_not_at_all_is_basic_document(
    client: TestClient, form: dict[str, Any]
) -> None:
    response = _create(client, {"form": form})
    assert response.status_code == 201, response.text
    assert response.json()["form"]["name"] == "Basic Document"


def test_a_form_global_id_that_is_an_object_is_unreadable(client: TestClient) -> None:
    response = _create(client, {"form": {"globalId": {"a": 1}}})
    assert response.status_code == 400
    assert response.json()["internalCode"] == 40009


@pytest.mark.parametrize("query_type", [["name"], {"a": 1}, 5])
def test_advanced_query_with_a_query_type_that_is_no_string_is_refused(
    client: TestClient, query_type: Any
) -> None:
    advanced = json.dumps({"terms": [{"query": "pcr", "queryType": query_type}]})
    response = client.get("/api/v1/documents", params={"advancedQuery": advanced}, headers=HEADERS)
    assert 400 <= response.status_code < 500, response.text
    assert "advancedQuery" in response.json()["message"]

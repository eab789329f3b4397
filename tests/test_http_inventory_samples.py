"""Inventory samples, subsamples and the workbench over HTTP, with RSpace's answers and errors;
and the SDK's ``InventoryClient`` (from PyPI) through the same flows."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.testing import RSpaceMockHandle
from tests.http_helpers import API_KEYS, assert_api_error

INV = "/api/inventory/v1"
ALICE = {"apiKey": API_KEYS["alice"]}
BOB = {"apiKey": API_KEYS["bob"]}
CAROL_LESS = {"apiKey": API_KEYS["dave"]}  # dave: API access switched off


@pytest.fixture
def http(rspace_mock_app: RSpaceMockHandle) -> Any:
    with rspace_mock_app.client() as client:
        yield client


def create(http: Any, body: dict[str, Any], headers: dict[str, str] = ALICE) -> Any:
    return http.post(f"{INV}/samples", json=body, headers=headers)


def test_a_new_sample_has_one_subsample_of_1_ml_on_the_creators_workbench(http: Any) -> None:
    made = create(http, {"name": "  Buffer A  "})
    assert made.status_code == 201
    sample = made.json()
    assert sample["name"] == "Buffer A" and sample["globalId"] == f"SA{sample['id']}"
    assert sample["type"] == "SAMPLE" and sample["sampleSource"] == "LAB_CREATED"
    assert sample["quantity"] == {"numericValue": 1, "unitId": 3}
    assert sample["subSampleAlias"] == {"alias": "aliquot", "plural": "aliquots"}
    assert sample["permittedActions"] == ["READ", "UPDATE", "CHANGE_OWNER"]
    (subsample,) = sample["subSamples"]
    assert subsample["name"] == "Buffer A.01" and subsample["type"] == "SUBSAMPLE"
    (bench,) = subsample["parentContainers"]
    assert bench["globalId"].startswith("BE") and bench["cType"] == "WORKBENCH"
    assert bench["name"] == "WB alice"
    assert subsample["sample"]["globalId"] == sample["globalId"]
    keys = list(sample)
    assert keys[:3] == ["id", "globalId", "name"] and keys[-5:-4] == ["_links"]


def test_a_quantity_shared_by_twelve_subsamples_rounds_each_to_three_decimals(http: Any) -> None:
    sample = create(
        http,
        {
            "name": "Lysate",
            "quantity": {"numericValue": 5, "unitId": 3},
            "newSampleSubSamplesCount": 12,
        },
    ).json()
    assert sample["subSamplesCount"] == 12
    assert {s["quantity"]["numericValue"] for s in sample["subSamples"]} == {0.417}
    assert sample["quantity"] == {"numericValue": 5.004, "unitId": 3}
    assert [s["name"] for s in sample["subSamples"]][:2] == ["Lysate.01", "Lysate.02"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, ["name: name is a required field."]),
        ({"name": " "}, ["name: name is a required field."]),
        (
            {"name": "x" * 256},
            [
                "name: Name cannot be longer than 255 characters",
                "name: name cannot be greater than 255 characters.",
            ],
        ),
        (
            {"name": "s", "description": "d" * 251},
            ["description: description cannot be greater than 250 characters."],
        ),
        (
            {"name": "s", "quantity": {"numericValue": -1, "unitId": 3}},
            ["quantity: Quantity 'numericValue' must be positive"],
        ),
        (
            {"name": "s", "quantity": {"numericValue": 1, "unitId": 99}},
            ["quantity: Quantity unit id [99] is invalid"],
        ),
        (
            {"name": "s", "quantity": {"numericValue": 1, "unitId": 11}},
            [
                "quantity: Quantity unit id [11] is not pointing to a unit of amount, it should "
                "be an id of a mass, volume or dimensionless unit."
            ],
        ),
        (
            {"name": "s", "newSampleSubSamplesCount": 101},
            ["apiSampleWithFullSubSamples: subSamplesCount supported values are 1-100, was [101]"],
        ),
        (
            {
                "name": "s",
                "storageTempMin": {"numericValue": 5, "unitId": 8},
                "storageTempMax": {"numericValue": 1, "unitId": 8},
            },
            ["storageTempMin: Min temperature is greater than max temperature."],
        ),
        ({"name": "s", "tags": [{"value": "x"}]}, ["tags: Tag cannot be less than 2 characters."]),
    ],
)
def test_a_sample_that_breaks_a_rule_gets_rspaces_validation_error(
    http: Any, body: dict[str, Any], errors: list[str]
) -> None:
    response = create(http, body)
    assert_api_error(response, 400, 40002, f"Errors detected: {len(errors)}")
    assert response.json()["errors"] == errors


@pytest.mark.parametrize(
    "body",
    [
        {"name": "s", "expiryDate": "2024-12-25T00:00:00"},
        {"name": "s", "sampleSource": "GROWN"},
        {"name": "s", "quantity": "lots"},
    ],
)
def test_an_unreadable_value_is_rspaces_unreadable_json(http: Any, body: dict[str, Any]) -> None:
    assert create(http, body).json()["internalCode"] == 40009


def test_a_template_is_made_elsewhere(http: Any) -> None:
    response = create(http, {"name": "t", "template": True})
    assert_api_error(
        response, 422, 42201, "Please use /sampleTemplates endpoint for template actions"
    )


def test_unknown_and_other_users_samples_are_not_found(http: Any) -> None:
    sample = create(http, {"name": "Mine"}).json()
    message = (
        "Inventory record with id [{}] could not be retrieved - possibly it has been deleted, "
        "does not exist, or you do not have permission to access it."
    )
    assert_api_error(
        http.get(f"{INV}/samples/99999", headers=ALICE), 404, 50301, message.format(99999)
    )
    carol_key = {"apiKey": API_KEYS["priya"]}  # priya is alice's PI: she may read it
    assert http.get(f"{INV}/samples/{sample['id']}", headers=carol_key).status_code == 200
    response = http.delete(f"{INV}/samples/{sample['id']}", headers=BOB)
    assert_api_error(
        response, 422, 42201, f"SAMPLE with id [{sample['id']}] cannot be edited by current User"
    )


def test_the_listing_pages_orders_and_hides_deleted_samples(http: Any) -> None:
    for name in ("b-sample", "a-sample", "c-sample"):
        create(http, {"name": name})
    listing = http.get(f"{INV}/samples", params={"pageSize": 2}, headers=ALICE).json()
    assert listing["totalHits"] == 3 and listing["pageNumber"] == 0
    assert [s["name"] for s in listing["samples"]] == ["a-sample", "b-sample"]
    rels = [link["rel"] for link in listing["_links"]]
    assert rels == ["next", "self"]
    assert listing["_links"][0]["link"].startswith("http://rspace.test/api/inventory/v1/samples?")
    newest = http.get(f"{INV}/samples", params={"orderBy": "name desc"}, headers=ALICE).json()
    assert newest["samples"][0]["name"] == "c-sample"
    first = listing["samples"][0]
    http.delete(f"{INV}/samples/{first['id']}", headers=ALICE)
    assert http.get(f"{INV}/samples", headers=ALICE).json()["totalHits"] == 2
    deleted = http.get(f"{INV}/samples", params={"deletedItems": "DELETED_ONLY"}, headers=ALICE)
    assert [s["name"] for s in deleted.json()["samples"]] == ["a-sample"]
    bad = http.get(f"{INV}/samples", params={"deletedItems": "SOME"}, headers=ALICE)
    assert bad.json()["message"] == (
        "Requested deletedItems option must be one of: EXCLUDE, INCLUDE or DELETED_ONLY"
    )
    too_big = http.get(f"{INV}/samples", params={"pageSize": 101}, headers=ALICE)
    assert too_big.json()["message"] == "Page size must be between 1 and 100."


def test_deleting_and_restoring_a_sample_takes_its_subsamples_along(http: Any) -> None:
    sample = create(http, {"name": "Plasmid", "newSampleSubSamplesCount": 2}).json()
    deleted = http.delete(f"{INV}/samples/{sample['id']}", headers=ALICE)
    assert deleted.status_code == 200
    body = deleted.json()
    assert body["deleted"] is True and body["_links"] == []
    assert body["quantity"] == {"numericValue": 0, "unitId": 3}
    assert all(s["deleted"] and s["deletedOnSampleDeletion"] for s in body["subSamples"])
    assert all(s["parentContainers"] == [] for s in body["subSamples"])
    restored = http.put(f"{INV}/samples/{sample['id']}/restore", headers=ALICE).json()
    assert restored["deleted"] is False
    assert restored["quantity"] == {"numericValue": 2, "unitId": 3}
    assert all(s["parentContainers"][0]["cType"] == "WORKBENCH" for s in restored["subSamples"])


def test_the_workbench_listing_and_the_units(http: Any) -> None:
    create(http, {"name": "On the bench"})
    benches = http.get(f"{INV}/workbenches", headers=ALICE).json()
    (bench,) = benches["containers"]
    assert bench["cType"] == "WORKBENCH" and bench["contentSummary"]["subSampleCount"] == 1
    assert bench["_links"] == [
        {"link": f"http://rspace.test{INV}/containers/{bench['id']}", "rel": "self"}
    ]
    units = http.get("/api/v1/units", headers=ALICE).json()
    assert {"id": 3, "label": "ml", "category": "volume", "description": ""} in units
    assert http.get(f"{INV}/samples", headers=CAROL_LESS).status_code == 401


def test_the_sdks_inventory_client_creates_reads_lists_and_deletes(
    rspace_mock: RSpaceMockHandle,
) -> None:
    from rspace_client.inv import inv
    from rspace_client.inv.quantity_unit import QuantityUnit

    client = inv.InventoryClient(rspace_mock.base_url, rspace_mock.seeded.user("alice")["apiKey"])
    sample = client.create_sample(
        "SDK sample",
        tags=["cells", "hela"],
        description="from the SDK",
        storage_temperature_min=inv.StorageTemperature(1),
        storage_temperature_max=inv.StorageTemperature(4),
        expiry_date=datetime.date(2024, 12, 25),
        subsample_count=12,
        total_quantity=inv.Quantity(5, QuantityUnit.of("ml")),
    )
    assert sample["subSamplesCount"] == 12
    assert sample["storageTempMax"]["numericValue"] == 4
    assert sample["expiryDate"] == "2024-12-25"
    read = client.get_sample_by_id(sample["globalId"])
    assert read["name"] == "SDK sample" and len(read["subSamples"]) == 12
    assert [s["globalId"] for s in client.stream_samples()] == [sample["globalId"]]
    subsample = client.get_subsample_by_id(read["subSamples"][0]["id"])
    assert subsample["parentContainers"][0]["globalId"][:2] == "BE"
    assert client.get_workbenches()[0]["cType"] == "WORKBENCH"
    client.delete_sample(sample["id"])
    assert client.get_sample_by_id(sample["id"])["deleted"] is True


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_KEYS = st.sampled_from(
    [
        "name",
        "description",
        "quantity",
        "newSampleSubSamplesCount",
        "tags",
        "expiryDate",
        "storageTempMin",
        "storageTempMax",
        "sampleSource",
        "extraFields",
        "template",
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.dictionaries(_KEYS, _JSON, max_size=5) | _JSON)
def test_no_body_makes_a_new_sample_fail_with_a_5xx(http: Any, body: object) -> None:
    """Whatever the body, RSpace's 201 or one of its 4xx ApiErrors, never a 500."""
    response = http.post(f"{INV}/samples", json=body, headers=ALICE)
    assert response.status_code in (201, 400, 415, 422), response.text
    if response.status_code != 201:
        assert set(response.json()) >= {"status", "httpCode", "internalCode", "message"}

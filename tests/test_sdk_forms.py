"""The official RSpace Python SDK (``rspace-client``, from PyPI), unmodified, on forms: the calls
its ``create_form.py`` and ``search_documents_by_form.py`` examples make, and documents made
from a form with ``create_document(form_id=...)``, against the served fake."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from rspace_client.eln.advanced_query_builder import AdvancedQueryBuilder
from rspace_client.eln.eln import ELNClient
from rspace_client.exceptions import ApiError

from mock_server.testing import RSpaceMockHandle
from tests.test_http_forms import EXAMPLE_FIELDS

HEIDI = {
    "username": "heidi",
    "password": "heidi-password-8",
    "apiKey": "heidiApiKey000000000000000000008",
}


@pytest.fixture
def sdk(rspace_mock: RSpaceMockHandle) -> Iterator[ELNClient]:
    """A user made through the admin API: no forms of her own yet."""
    response = httpx.post(rspace_mock.url("/_mock/users"), json=HEIDI, timeout=20)
    assert response.status_code == 201, response.text
    with ELNClient(rspace_mock.base_url, HEIDI["apiKey"], max_retries=0) as client:
        yield client


def test_the_create_form_example_flow(sdk: ELNClient) -> None:
    listing = sdk.get_forms()
    assert listing["forms"] == [] and not sdk.link_exists(listing, "next")
    created = sdk.create_form("Test Form", tags=["testing", "example"], fields=EXAMPLE_FIELDS)
    assert created["name"] == "Test Form" and created["tags"] == "testing,example"
    form = sdk.get_form(created["globalId"])
    assert [(f["type"], f["name"]) for f in form["fields"]] == [
        (f["type"], f["name"]) for f in EXAMPLE_FIELDS
    ]
    assert sdk.publish_form(created["globalId"])["formState"] == "PUBLISHED"
    assert sdk.share_form(created["globalId"])["accessControl"]["groupPermissionType"] == "READ"
    assert sdk.unshare_form(created["globalId"])["accessControl"]["groupPermissionType"] == "NONE"
    assert sdk.unpublish_form(created["globalId"])["formState"] == "UNPUBLISHED"
    again = sdk.create_form("Test Form", tags=["testing", "example"], fields=EXAMPLE_FIELDS)
    sdk.delete_form(again["globalId"])
    with pytest.raises(ApiError) as caught:
        sdk.get_form(again["globalId"])
    assert caught.value.response_status_code == 404
    names = [f["name"] for f in sdk.get_forms()["forms"]]
    assert names == ["Test Form"]  # the unpublished first one, still hers


def test_documents_from_a_form_and_the_search_by_form(sdk: ELNClient) -> None:
    form = sdk.create_form("Assay", fields=EXAMPLE_FIELDS)
    sdk.publish_form(form["id"])
    made = sdk.create_document(name="Run 1", form_id=form["globalId"])
    assert [f["content"] for f in made["fields"]][2:5] == [
        "23.0",
        "antibody2,antibody3",
        "antibody2",
    ]
    contents = [{"content": "s"}, {}, {"content": "7"}, {"content": "antibody1"}, {}, {}]
    sdk.create_document(name="Run 2", form_id=form["id"], fields=contents)
    sdk.create_document(name="Not from it")
    with pytest.raises(ApiError) as caught:
        sdk.create_document(form_id=form["id"], fields=[{}, {}, {"content": "-1"}, {}, {}, {}])
    assert caught.value.response_status_code == 422
    assert "Data [-1] smaller than minimum [0.0]" in str(caught.value)
    query = AdvancedQueryBuilder().add_term(form["globalId"], AdvancedQueryBuilder.QueryType.FORM)
    found = sdk.get_documents_advanced_query(query.get_advanced_query())
    assert {d["name"] for d in found["documents"]} == {"Run 1", "Run 2"}
    by_name = AdvancedQueryBuilder().add_term("assay", AdvancedQueryBuilder.QueryType.FORM)
    assert sdk.get_documents_advanced_query(by_name.get_advanced_query())["totalHits"] == 2
    csv = sdk.get_document_csv(found["documents"][0]["id"])
    assert "Number FormField Example" in csv


def test_a_shipped_form_by_its_global_id(sdk: ELNClient) -> None:
    assert sdk.get_forms(query="Experiment")["forms"] == []  # her own forms only
    experiment = next(f for f in _all(sdk) if f["name"] == "Experiment")
    document = sdk.create_document(name="Shipped", form_id=experiment["globalId"])
    assert [f["name"] for f in document["fields"]][1] == "Objective"
    sdk.append_content(document["id"], "<p>More</p>", field_index=1)
    assert "More" in sdk.get_document(document["id"])["fields"][1]["content"]


def _all(sdk: ELNClient) -> list[dict]:
    """Every form she may read (``scope=all``: the SDK lists her own only)."""
    response = httpx.get(
        f"{sdk._get_api_url()}/forms",
        params={"scope": "all", "pageSize": 100},
        headers={"apiKey": HEIDI["apiKey"]},
        timeout=20,
    )
    return response.json()["forms"]

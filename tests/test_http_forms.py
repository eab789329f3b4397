"""``/api/v1/forms`` over HTTP: the forms RSpace ships, the lifecycle of a form (create, edit,
publish, share, delete, icon) with each of its errors, and documents made from forms of every
field type, their defaults and the validation of each type's content."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.http_helpers import API_KEYS, DEFAULT_FIXTURES, assert_api_error, make_client
from tests.test_http_files import png

ALICE = {"apiKey": API_KEYS["alice"]}
BOB = {"apiKey": API_KEYS["bob"]}

#: The fields of the SDK's create_form example, one of each type it shows.
EXAMPLE_FIELDS: list[dict[str, Any]] = [
    {"name": "A String Field", "type": "String", "defaultValue": "An optional default value"},
    {
        "name": "text FormField Example",
        "type": "Text",
        "defaultValue": "Some placeholder text,can be simple <em>HTML</em>",
    },
    {"name": "Number FormField Example", "type": "Number", "defaultValue": 23, "min": 0},
    {
        "name": "Choice FormField Example",
        "type": "Choice",
        "multipleChoice": True,
        "options": ["antibody1", "antibody2", "antibody3"],
        "defaultOptions": ["antibody2", "antibody3"],
    },
    {
        "name": "Radio FormField Example",
        "type": "Radio",
        "options": ["antibody1", "antibody2", "antibody3"],
        "defaultOption": "antibody2",
    },
    {
        "name": "date FormField Example",
        "type": "Date",
        "defaultValue": "2018-03-21",
        "min": "2018-02-21",
        "max": "2018-04-21",
    },
]
#: One field of each of the other types.
OTHER_FIELDS: list[dict[str, Any]] = [
    {"name": "Start", "type": "Time", "defaultValue": 3_300_000},
    {"name": "Sample", "type": "Reference"},
    {"name": "Source", "type": "Uri"},
    {"name": "Safety sheet", "type": "Attachment"},
    {"name": "Dose", "type": "Number", "min": 0, "max": 10, "decimalPlaces": 2},
]


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    """The default fixtures' users, without their forms and the documents made from them."""
    fixtures = json.loads(DEFAULT_FIXTURES.read_text())
    fixtures.pop("forms")
    fixtures["documents"] = [d for d in fixtures["documents"] if "form" not in d]
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps(fixtures))
    return make_client(fixtures=str(path))


def test_the_default_fixtures_have_a_form_and_documents_made_from_forms() -> None:
    client = make_client(fixtures=str(DEFAULT_FIXTURES))
    mine = client.get("/api/v1/forms", headers=ALICE).json()["forms"]
    assert [(f["name"], f["formState"]) for f in mine] == [("Cell culture passage", "PUBLISHED")]
    form = client.get(f"/api/v1/forms/{mine[0]['id']}", headers=ALICE).json()
    assert {f["type"] for f in form["fields"]} == {"Date", "Number", "Radio", "Choice", "Text"}
    for who, form_name in ((ALICE, "Cell culture passage"), (BOB, "Experiment")):
        query = json.dumps({"terms": [{"query": form_name, "queryType": "form"}]})
        found = client.get("/api/v1/documents", headers=who, params={"advancedQuery": query})
        documents = found.json()["documents"]
        assert len(documents) == 1, form_name
        document = client.get(f"/api/v1/documents/{documents[0]['id']}", headers=who).json()
        assert document["form"]["name"] == form_name
        assert all(f["content"] for f in document["fields"])


def create_form(client: TestClient, fields: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    body = {"name": "Test Form", "tags": "testing,example", "fields": fields, **extra}
    response = client.post("/api/v1/forms", headers=ALICE, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def publish(client: TestClient, form_id: int) -> dict[str, Any]:
    response = client.put(f"/api/v1/forms/{form_id}/publish", headers=ALICE)
    assert response.status_code == 200, response.text
    return response.json()


def new_document(client: TestClient, form_id: int, fields: list[dict[str, Any]] | None = None):
    body: dict[str, Any] = {"form": {"id": form_id}}
    if fields is not None:
        body["fields"] = fields
    return client.post("/api/v1/documents", headers=ALICE, json=body)


# -- the forms every RSpace has ----------------------------------------------------------


def test_every_user_reads_the_forms_rspace_ships(client: TestClient) -> None:
    listing = client.get("/api/v1/forms", headers=ALICE, params={"scope": "all"}).json()
    names = {form["name"]: form for form in listing["forms"]}
    assert set(names) == {
        "RSpace_Equipment_Form",
        "RSpace Tags from Ontologies",
        "Basic Document",
        "Lab Protocol",
        "Experiment",
        "rtPCR",
        "ELISA",
    }
    assert names["Basic Document"]["globalId"] == "FM3"
    for form in names.values():
        assert form["formState"] == "PUBLISHED"
        assert form["accessControl"]["worldPermissionType"] == "READ"
        assert list(form) == [
            "id",
            "globalId",
            "stableId",
            "version",
            "name",
            "tags",
            "formState",
            "accessControl",
            "iconId",
            "_links",
        ]
    experiment = client.get(f"/api/v1/forms/{names['Experiment']['id']}", headers=BOB).json()
    assert [(f["type"], f["name"], f["index"]) for f in experiment["fields"]] == [
        ("Date", "Date", 1),
        ("Text", "Objective", 2),
        ("Text", "Method", 3),
        ("Text", "Results", 4),
        ("Text", "Conclusion", 5),
    ]
    # Bob may read it, not publish or share it: only the self and icon links.
    assert [link["rel"] for link in experiment["_links"]] == ["self", "icon"]


def test_my_forms_are_only_mine(client: TestClient) -> None:
    assert client.get("/api/v1/forms", headers=ALICE).json()["totalHits"] == 0
    form = create_form(client, EXAMPLE_FIELDS)
    mine = client.get("/api/v1/forms", headers=ALICE).json()
    assert [f["id"] for f in mine["forms"]] == [form["id"]]
    assert client.get("/api/v1/forms", headers=BOB).json()["totalHits"] == 0
    everything = client.get("/api/v1/forms", headers=BOB, params={"scope": "all"}).json()
    assert form["id"] not in {f["id"] for f in everything["forms"]}  # NEW, not shared


def test_listing_searches_names_tags_and_with_scope_all_owners(client: TestClient) -> None:
    create_form(client, EXAMPLE_FIELDS, name="Cell culture", tags="cells,media")
    found = client.get("/api/v1/forms", headers=ALICE, params={"query": "MEDIA"}).json()
    assert [f["name"] for f in found["forms"]] == ["Cell culture"]
    assert (
        client.get("/api/v1/forms", headers=ALICE, params={"query": "sysadmin"}).json()["totalHits"]
        == 0
    )
    shipped = client.get(
        "/api/v1/forms", headers=ALICE, params={"query": "sysadmin", "scope": "all"}
    ).json()
    assert shipped["totalHits"] == 7


def test_listing_pages_with_links(client: TestClient) -> None:
    page = client.get(
        "/api/v1/forms",
        headers=ALICE,
        params={"scope": "all", "pageSize": 3, "orderBy": "name asc", "pageNumber": 1},
    ).json()
    # MySQL's collation: case-insensitive, a space before an underscore.
    assert [f["name"] for f in page["forms"]] == [
        "Lab Protocol",
        "RSpace Tags from Ontologies",
        "RSpace_Equipment_Form",
    ]
    rels = [link["rel"] for link in page["_links"]]
    assert rels == ["prev", "next", "self"]
    assert page["_links"][-1]["link"].endswith(
        "/api/v1/forms?pageSize=3&pageNumber=1&orderBy=name%20asc&scope=all"
    )


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"pageSize": "0"}, 400, 40002),
        ({"pageNumber": "-1"}, 400, 40002),
        ({"pageSize": "x"}, 400, 40002),
        ({"orderBy": "size asc"}, 400, 40002),
        ({"orderBy": "name  asc"}, 422, 42201),
    ],
)
def test_listing_refuses_bad_paging(
    client: TestClient, params: dict[str, str], status: int, code: int
) -> None:
    assert_api_error(client.get("/api/v1/forms", headers=ALICE, params=params), status, code)


def test_listing_ignores_what_rspace_never_checks(client: TestClient) -> None:
    """RSpace binds query and scope but never reports their problems."""
    response = client.get("/api/v1/forms", headers=ALICE, params={"scope": "nobody", "query": "x"})
    assert response.status_code == 200
    assert response.json()["_links"][-1]["link"].endswith("query=x&scope=nobody")


# -- creating ------------------------------------------------------------------------------


def test_a_new_form_has_each_field_as_rspace_writes_it(client: TestClient) -> None:
    form = create_form(client, EXAMPLE_FIELDS + OTHER_FIELDS)
    assert form["formState"] == "NEW"
    assert form["version"] == 0
    assert form["iconId"] == -1
    assert form["stableId"].endswith("null")
    assert list(form)[-2:] == ["_links", "iconId"]
    assert [link["rel"] for link in form["_links"]] == ["self", "publish", "share", "icon"]
    fields = form["fields"]
    assert [f["index"] for f in fields] == list(range(len(fields)))
    assert all(f["globalId"] == f"FF{f['id']}" for f in fields)
    by_name = {f["name"]: f for f in fields}
    number = by_name["Number FormField Example"]
    assert (number["min"], number["max"], number["decimalPlaces"], number["defaultValue"]) == (
        0.0,
        None,
        None,
        23.0,
    )
    choice = by_name["Choice FormField Example"]
    assert list(choice)[-4:] == ["_links", "multipleChoice", "options", "defaultOptions"]
    assert choice["defaultOptions"] == ["antibody2", "antibody3"]
    assert by_name["Radio FormField Example"]["defaultOption"] == "antibody2"
    date = by_name["date FormField Example"]
    assert (date["defaultValue"], date["min"], date["max"]) == (
        "2018-03-21",
        "2018-02-21",
        "2018-04-21",
    )
    assert by_name["Start"]["defaultTime"] == 3_300_000
    assert by_name["Sample"]["defaultValue"] is None
    assert "defaultValue" not in by_name["Safety sheet"]


def test_a_field_writes_its_type_twice_as_jackson_does(client: TestClient) -> None:
    response = client.post(
        "/api/v1/forms",
        headers=ALICE,
        json={"name": "One", "fields": [{"name": "n", "type": "Number"}]},
    )
    pairs = json.loads(response.text, object_pairs_hook=lambda p: p)
    field = dict(pairs)["fields"][0]
    assert [key for key, _ in field][:7] == [
        "type",
        "id",
        "globalId",
        "name",
        "type",
        "lastModified",
        "index",
    ]


def test_duplicate_form_names_are_allowed(client: TestClient) -> None:
    first = create_form(client, EXAMPLE_FIELDS)
    second = create_form(client, EXAMPLE_FIELDS)
    assert first["id"] != second["id"]
    assert first["stableId"] != second["stableId"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"fields": []}, ["name: must not be null", "name: must not be blank"]),
        (
            {"name": ""},
            ["name: must not be blank", "name: Name must be between 1 and 50 characters"],
        ),
        ({"name": "   "}, ["name: must not be blank"]),
        ({"name": "x" * 51}, ["name: Name must be between 1 and 50 characters"]),
        (
            {"name": "f", "fields": [{"type": "Text", "name": ""}]},
            [
                "fields[0].name: must not be blank",
                "fields[0].name: Name must be between 1 and 50 characters",
            ],
        ),
        (
            {"name": "f", "fields": [{"type": "String", "name": "s", "defaultValue": "x" * 256}]},
            ["fields[0].defaultValue: String fields must be less than 255 characters"],
        ),
        (
            {"name": "f", "fields": [{"type": "Number", "name": "n", "min": 5, "max": 5}]},
            ["fields[0]: Min must be < max"],
        ),
        (
            {"name": "f", "fields": [{"type": "Number", "name": "n", "min": 5, "defaultValue": 4}]},
            ["fields[0]: Min must be < max"],
        ),
        (
            {"name": "f", "fields": [{"type": "Number", "name": "n", "decimalPlaces": -1}]},
            ["fields[0].decimalPlaces: must be greater than or equal to 0"],
        ),
        (
            {"name": "f", "fields": [{"type": "Radio", "name": "r"}]},
            ["fields[0].options: Please provide at least one option"],
        ),
        (
            {
                "name": "f",
                "fields": [{"type": "Radio", "name": "r", "options": ["a"], "defaultOption": "b"}],
            },
            ["fields[0]: Default option must be one of the possible options"],
        ),
        (
            {
                "name": "f",
                "fields": [{"type": "Radio", "name": "r", "options": ["a"], "defaultOption": ""}],
            },
            [
                "fields[0].defaultOption: size must be between 1 and 2147483647",
                "fields[0]: Default option must be one of the possible options",
            ],
        ),
        (
            {"name": "f", "fields": [{"type": "Choice", "name": "c", "options": []}]},
            ["fields[0].options: Please provide at least one option"],
        ),
        (
            {
                "name": "f",
                "fields": [
                    {"type": "Choice", "name": "c", "options": ["a"], "defaultOptions": ["z"]}
                ],
            },
            ["fields[0]: Default options must be included in the possible options"],
        ),
        (
            {
                "name": "f",
                "fields": [
                    {"type": "Date", "name": "d", "min": "2020-01-02", "defaultValue": "2020-01-02"}
                ],
            },
            ["fields[0]: Min date must be before max date, and default date must be between them"],
        ),
    ],
)
def test_form_bodies_are_validated_as_rspace_validates_them(
    client: TestClient, body: dict[str, Any], errors: list[str]
) -> None:
    response = client.post("/api/v1/forms", headers=ALICE, json=body)
    problem = assert_api_error(response, 400, 40002, f"Errors detected: {len(errors)}")
    assert problem["errors"] == errors
    assert [e["objectName"] for e in problem["data"]["validationErrors"]] == ["formPost"] * len(
        errors
    )


@pytest.mark.parametrize(
    "fields",
    [
        [{"type": "number", "name": "lower-case type"}],
        [{"type": "URI", "name": "the spec's spelling"}],
        [{"name": "no type"}],
        [{"type": "Date", "name": "d", "defaultValue": "21/03/2018"}],
        [{"type": "Number", "name": "n", "defaultValue": "twenty"}],
        [{"type": "Number", "name": "n", "decimalPlaces": 128}],
        "not a list",
    ],
)
def test_unreadable_form_bodies_are_400_unreadable(client: TestClient, fields: Any) -> None:
    response = client.post("/api/v1/forms", headers=ALICE, json={"name": "f", "fields": fields})
    assert_api_error(response, 400, 40009)


def test_a_form_body_must_be_json(client: TestClient) -> None:
    response = client.post(
        "/api/v1/forms", headers={**ALICE, "Content-Type": "text/plain"}, content="name: x"
    )
    assert_api_error(response, 415, 41501)


# -- reading ------------------------------------------------------------------------------


def test_reading_a_missing_or_unreadable_form(client: TestClient) -> None:
    assert_api_error(
        client.get("/api/v1/forms/999999", headers=ALICE),
        404,
        50301,
        "SampleTemplate or form with id [999999] could not be retrieved - possibly it has been "
        "deleted, does not exist, or you do not have permission to access it.",
    )
    form = create_form(client, EXAMPLE_FIELDS)
    assert_api_error(
        client.get(f"/api/v1/forms/{form['id']}", headers=BOB),
        401,
        40101,
        f"Unauthorised attempt by user bob to  read form  [{form['id']}]",
    )
    assert_api_error(client.get("/api/v1/forms/x", headers=ALICE), 400, 40006)


# -- editing -------------------------------------------------------------------------------


def test_editing_a_new_form_changes_it_in_place(client: TestClient) -> None:
    form = create_form(client, EXAMPLE_FIELDS)
    kept = form["fields"][4]  # the radio field
    body = {
        "name": "Renamed",
        "fields": [
            {
                **EXAMPLE_FIELDS[4],
                "id": kept["id"],
                "name": "Antibody",
                "defaultOption": "antibody1",
            },
            {"name": "Notes", "type": "Text"},
        ],
    }
    edited = client.put(f"/api/v1/forms/{form['id']}", headers=ALICE, json=body).json()
    assert (edited["id"], edited["version"], edited["name"]) == (form["id"], 0, "Renamed")
    assert [f["name"] for f in edited["fields"]] == ["Antibody", "Notes"]
    assert edited["fields"][0]["id"] == kept["id"]
    assert edited["fields"][0]["defaultOption"] == "antibody1"
    assert [f["index"] for f in edited["fields"]] == [0, 1]


def test_editing_a_published_form_makes_a_new_version(client: TestClient) -> None:
    form = create_form(client, EXAMPLE_FIELDS)
    publish(client, form["id"])
    document = new_document(client, form["id"]).json()
    body = {
        "name": "Test Form",
        "fields": [
            {**f, "id": x["id"]} for f, x in zip(EXAMPLE_FIELDS, form["fields"], strict=True)
        ],
    }
    version = client.put(f"/api/v1/forms/{form['id']}", headers=ALICE, json=body).json()
    assert version["id"] != form["id"]
    assert version["stableId"] == form["stableId"]
    assert (version["version"], version["formState"]) == (1, "PUBLISHED")
    assert not {f["id"] for f in version["fields"]} & {f["id"] for f in form["fields"]}
    old = client.get(f"/api/v1/forms/{form['id']}", headers=ALICE).json()
    assert old["formState"] == "OLD"
    listed = client.get("/api/v1/forms", headers=ALICE).json()["forms"]
    assert [f["id"] for f in listed] == [version["id"]]
    # A document of the old version is found by the new version's global id.
    query = json.dumps({"terms": [{"query": version["globalId"], "queryType": "form"}]})
    found = client.get("/api/v1/documents", headers=ALICE, params={"advancedQuery": query}).json()
    assert [d["id"] for d in found["documents"]] == [document["id"]]


def test_editing_a_superseded_version_changes_nothing_current(client: TestClient) -> None:
    form = create_form(client, EXAMPLE_FIELDS[:1])
    publish(client, form["id"])
    body = {"name": "v1", "fields": EXAMPLE_FIELDS[:1]}
    current = client.put(f"/api/v1/forms/{form['id']}", headers=ALICE, json=body).json()
    aside = client.put(f"/api/v1/forms/{form['id']}", headers=ALICE, json=body).json()
    assert (aside["formState"], aside["version"]) == ("NEW", 0)
    assert aside["id"] not in (form["id"], current["id"])
    listed = client.get("/api/v1/forms", headers=ALICE).json()["forms"]
    assert [(f["id"], f["version"]) for f in listed] == [(current["id"], 1)]


def test_a_number_field_keeps_its_name_when_edited(client: TestClient) -> None:
    form = create_form(client, [{"name": "Mass", "type": "Number"}])
    field_id = form["fields"][0]["id"]
    body = {"name": "f", "fields": [{"id": field_id, "name": "Weight", "type": "Number", "max": 9}]}
    edited = client.put(f"/api/v1/forms/{form['id']}", headers=ALICE, json=body).json()
    assert (edited["fields"][0]["name"], edited["fields"][0]["max"]) == ("Mass", 9.0)


def test_edit_errors(client: TestClient) -> None:
    form = create_form(client, EXAMPLE_FIELDS[:2])
    ids = [f["id"] for f in form["fields"]]
    unknown = {"name": "f", "fields": [{"id": 1, "name": "x", "type": "String"}]}
    assert_api_error(
        client.put(f"/api/v1/forms/{form['id']}", headers=ALICE, json=unknown),
        422,
        42201,
        f"At least one ID in the incoming form fields does not exist in form [{form['id']}]. "
        f"Persisted field form IDs are [{ids[0]} and {ids[1]}]; supplied IDs are [1].",
    )
    retyped = {"name": "f", "fields": [{"id": ids[0], "name": "x", "type": "Text"}]}
    assert_api_error(
        client.put(f"/api/v1/forms/{form['id']}", headers=ALICE, json=retyped),
        422,
        42201,
        "Field DTO does not match the stored field type",
    )
    assert_api_error(
        client.put(f"/api/v1/forms/{form['id']}", headers=BOB, json={"name": "f"}),
        401,
        40101,
        "Cannot edit this form: ACCESS_DENIED",
    )
    assert_api_error(
        client.put("/api/v1/forms/3", headers=ALICE, json={"name": "f"}),
        401,
        40101,
        "Cannot edit this form: CANNOT_EDIT_NO_PERMISSION",
    )
    assert_api_error(
        client.put("/api/v1/forms/999999", headers=ALICE, json={"name": "f"}), 404, 50301
    )
    assert_api_error(client.put(f"/api/v1/forms/{form['id']}", headers=ALICE, json={}), 400, 40002)


# -- deleting ------------------------------------------------------------------------------


def test_deleting_forms(client: TestClient) -> None:
    unused = create_form(client, EXAMPLE_FIELDS)
    assert client.delete(f"/api/v1/forms/{unused['id']}", headers=ALICE).status_code == 204
    assert_api_error(client.get(f"/api/v1/forms/{unused['id']}", headers=ALICE), 404, 50301)
    assert_api_error(
        client.delete(f"/api/v1/forms/{unused['id']}", headers=ALICE),
        404,
        50301,
        f"Form with id [{unused['id']}] could not be retrieved - possibly it has been deleted, "
        "does not exist, or you do not have permission to access it.",
    )
    used = create_form(client, EXAMPLE_FIELDS)
    publish(client, used["id"])
    assert new_document(client, used["id"]).status_code == 201
    assert_api_error(
        client.delete(f"/api/v1/forms/{used['id']}", headers=ALICE),
        422,
        42201,
        f"Form {used['stableId']} has been used to create documents, and cannot be deleted.",
    )
    assert_api_error(
        client.delete(f"/api/v1/forms/{used['id']}", headers=BOB),
        401,
        40101,
        f"Unauthorised attempt by user bob to delete form [{used['id']}]",
    )
    published_unused = create_form(client, EXAMPLE_FIELDS)
    publish(client, published_unused["id"])
    assert (
        client.delete(f"/api/v1/forms/{published_unused['id']}", headers=ALICE).status_code == 204
    )


# -- publishing and sharing ----------------------------------------------------------------


def test_publishing_and_sharing_follow_rspace(client: TestClient) -> None:
    form = create_form(client, EXAMPLE_FIELDS)
    base = f"/api/v1/forms/{form['id']}"
    # Unpublishing a NEW form does nothing.
    assert client.put(f"{base}/unpublish", headers=ALICE).json()["formState"] == "NEW"
    published = publish(client, form["id"])
    assert published["formState"] == "PUBLISHED"
    assert [link["link"].rsplit("/", 1)[1] for link in published["_links"][1:3]] == [
        "unpublish",
        "share",
    ]
    shared = client.put(f"{base}/share", headers=ALICE).json()
    assert shared["accessControl"] == {
        "ownerPermissionType": "WRITE",
        "groupPermissionType": "READ",
        "worldPermissionType": "NONE",
    }
    assert shared["_links"][2] == {"link": f"http://testserver{base}/unshare", "rel": "share"}
    unshared = client.put(f"{base}/unshare", headers=ALICE).json()
    assert unshared["accessControl"]["groupPermissionType"] == "NONE"
    assert client.put(f"{base}/unpublish", headers=ALICE).json()["formState"] == "UNPUBLISHED"
    assert client.put(f"{base}/publish", headers=ALICE).json()["formState"] == "PUBLISHED"


def test_publishing_and_sharing_errors(client: TestClient) -> None:
    form = create_form(client, EXAMPLE_FIELDS)
    base = f"/api/v1/forms/{form['id']}"
    assert_api_error(
        client.put(f"{base}/publish", headers=BOB),
        401,
        40101,
        f"Unauthorised attempt to publish form: {form['id']}",
    )
    assert_api_error(
        client.put(f"{base}/share", headers=BOB),
        401,
        40101,
        f"Unauthorised attempt by user bob to share form [{form['id']}]",
    )
    assert_api_error(
        client.put(f"{base}/shareglobal", headers=ALICE),
        401,
        40101,
        "Only sysadmin can use this API",
    )
    assert_api_error(
        client.put("/api/v1/forms/3/unpublish", headers=ALICE),
        404,
        50301,
        "Attempted to unpublish a system form",
    )
    assert_api_error(client.put("/api/v1/forms/999999/publish", headers=ALICE), 404, 50301)
    assert_api_error(client.post(f"{base}/publish", headers=ALICE), 405, 40501)


# -- icons ---------------------------------------------------------------------------------


def test_a_form_icon_is_set_and_read_back(client: TestClient) -> None:
    form = create_form(client, EXAMPLE_FIELDS)
    image = png()
    response = client.post(
        f"/api/v1/forms/{form['id']}/icon",
        headers=ALICE,
        files={"file": ("logo.png", image, "image/png")},
    )
    assert response.status_code == 201, response.text
    icon_id = response.json()["iconId"]
    assert icon_id > 0
    assert response.json()["_links"][-1]["link"].endswith(f"/icon/{icon_id}")
    icon = client.get(f"/api/v1/forms/{form['id']}/icon/{icon_id}", headers=BOB)
    assert (icon.status_code, icon.content) == (200, image)
    default = client.get("/api/v1/forms/3/icon/-1", headers=BOB)
    assert default.status_code == 200
    assert default.content.startswith(b"\x89PNG")


def test_icon_errors(client: TestClient) -> None:
    form = create_form(client, EXAMPLE_FIELDS)
    url = f"/api/v1/forms/{form['id']}/icon"
    assert_api_error(
        client.post(url, headers=ALICE, files={"file": ("notes.txt", b"hello", "text/plain")}),
        422,
        42201,
        "Couldn't parse file [notes.txt] as an image.",
    )
    assert_api_error(
        client.post(url, headers=BOB, files={"file": ("logo.png", png(), "image/png")}),
        401,
        40101,
        "Unauthorized attempt to update form icon",
    )
    assert_api_error(client.post(url, headers=ALICE, data={"x": "1"}), 400, 40004)


# -- documents from forms -----------------------------------------------------------------


def test_a_document_gets_each_fields_default(client: TestClient) -> None:
    form = create_form(client, EXAMPLE_FIELDS + OTHER_FIELDS)
    publish(client, form["id"])
    document = new_document(client, form["id"]).json()
    assert document["form"]["id"] == form["id"]
    assert [(f["name"], f["type"], f["content"]) for f in document["fields"]] == [
        ("A String Field", "string", "An optional default value"),
        ("text FormField Example", "text", "Some placeholder text,can be simple <em>HTML</em>"),
        ("Number FormField Example", "number", "23.0"),
        ("Choice FormField Example", "choice", "antibody2,antibody3"),
        ("Radio FormField Example", "radio", "antibody2"),
        ("date FormField Example", "date", "2018-03-21"),
        ("Start", "time", "00:55"),
        ("Sample", "reference", ""),
        ("Source", "uri", ""),
        ("Safety sheet", "attachment", ""),
        ("Dose", "number", ""),
    ]
    assert [f["columnIndex"] for f in document["fields"]] == list(range(11))


def test_a_document_from_a_shipped_form(client: TestClient) -> None:
    response = client.post(
        "/api/v1/documents",
        headers=BOB,
        json={
            "form": {"globalId": "FM5"},
            "fields": [{"content": "2026-11-30"}, {"content": "<p>Why</p>"}, {}, {}, {}],
        },
    )
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["form"]["name"] == "Experiment"
    assert [f["name"] for f in document["fields"]] == [
        "Date",
        "Objective",
        "Method",
        "Results",
        "Conclusion",
    ]
    assert [f["columnIndex"] for f in document["fields"]] == [1, 2, 3, 4, 5]
    assert document["fields"][0]["content"] == "2026-11-30"
    assert document["fields"][1]["content"] == "<p>Why</p>"


#: (field of the form, content, the 422's text after "Validation problem with field 1: ").
CONTENT_ROWS = [
    ({"type": "Number", "name": "n"}, "abc", "Invalid number format [abc]."),
    ({"type": "Number", "name": "n", "min": 0}, "-1", "Data [-1] smaller than minimum [0.0]"),
    ({"type": "Number", "name": "n", "max": 10}, "11", "Data [11] greater than maximum [10.0]"),
    (
        {"type": "Number", "name": "n", "decimalPlaces": 1},
        "1.25",
        "Data [1.25] has too many decimal places (should be [1] ).",
    ),
    (
        {"type": "Number", "name": "n", "decimalPlaces": 1, "max": 1},
        "1.25",
        "Data [1.25] has too many decimal places (should be [1] ). and Data [1.25] greater "
        "than maximum [1.0]",
    ),
    (
        {"type": "Radio", "name": "r", "options": ["a", "b"]},
        "c",
        "Invalid data for Radio Field [c]",
    ),
    (
        {"type": "Radio", "name": "r", "options": ["a", "b"]},
        "A",
        "Invalid data for Radio Field [A]",
    ),
    (
        {"type": "Choice", "name": "c", "options": ["a"]},
        ",a",
        "Invalid data for Choice Field [fieldChoices=&fieldChoices=a]",
    ),
    (
        {"type": "Choice", "name": "c", "options": ["a"]},
        "a&b",
        "Invalid data for Choice Field [fieldChoices=a&b]",
    ),
    ({"type": "Date", "name": "d"}, "12:15", "Invalid date format [12:15]"),
    (
        {"type": "Date", "name": "d", "min": "2020-01-01"},
        "2019-12-31",
        "Input date [2019-12-31] before minimum [2020-01-01]",
    ),
    (
        {"type": "Date", "name": "d", "max": "2020-01-01"},
        "2020-01-02",
        "Input date [2020-01-02] after maximum [2020-01-01]",
    ),
    (
        {"type": "Reference", "name": "s"},
        "SD12, xx",
        "Invalid data (xx) for Source Field [SD12, xx] - must be parsable into GlobalIds and "
        "The prefix xx is not a globalIdPrefix. It must belong to GlobalIdPrefix enumset",
    ),
    (
        {"type": "Uri", "name": "u"},
        "a b",
        "Invalid URI syntax; Illegal character in path at index 1: a b",
    ),
]


@pytest.mark.parametrize(("definition", "content", "problem"), CONTENT_ROWS)
def test_field_content_is_validated_by_its_type(
    client: TestClient, definition: dict[str, Any], content: str, problem: str
) -> None:
    form = create_form(client, [definition])
    publish(client, form["id"])
    response = new_document(client, form["id"], [{"content": content}])
    assert_api_error(response, 422, 42201, f"Validation problem with field 1: {problem}")
    # The same rule on an update, naming the field by its id.
    document = new_document(client, form["id"]).json()
    field_id = document["fields"][0]["id"]
    changed = client.put(
        f"/api/v1/documents/{document['id']}",
        headers=ALICE,
        json={"fields": [{"id": field_id, "content": content}]},
    )
    assert_api_error(
        changed, 422, 42201, f"Validation problem with field with id: {field_id}: {problem}"
    )


#: (field of the form, content, what a read of the document shows).
ACCEPTED_ROWS = [
    ({"type": "Number", "name": "n"}, " 1e3 ", " 1e3 "),
    ({"type": "Number", "name": "n", "min": 0, "max": 1}, "0.5", "0.5"),
    ({"type": "Choice", "name": "c", "options": ["a"]}, "a,z", "a,z"),  # options unchecked
    ({"type": "Choice", "name": "c", "options": ["a"]}, "a,", "a"),
    ({"type": "Choice", "name": "c", "options": ["x,y"]}, "x&#44;y", "x&#44;y"),
    ({"type": "Date", "name": "d"}, "12-07-2017", "12-07-2017"),  # lenient, as RSpace
    ({"type": "Date", "name": "d"}, "2017-07-12T10:00", "2017-07-12T10:00"),
    ({"type": "String", "name": "s"}, "<b>bold</b> text", "bold text"),
    ({"type": "Time", "name": "t"}, "not a time", "not a time"),
    ({"type": "Reference", "name": "s"}, "SD12, GL3v2", "SD12, GL3v2"),
    ({"type": "Uri", "name": "u"}, "https://example.org/a?b=c", "https://example.org/a?b=c"),
    ({"type": "Radio", "name": "r", "options": ["a", "b"]}, "", ""),
]


@pytest.mark.parametrize(("definition", "content", "shown"), ACCEPTED_ROWS)
def test_field_content_rspace_accepts(
    client: TestClient, definition: dict[str, Any], content: str, shown: str
) -> None:
    form = create_form(client, [definition])
    publish(client, form["id"])
    response = new_document(client, form["id"], [{"content": content}])
    assert response.status_code == 201, response.text
    assert response.json()["fields"][0]["content"] == shown
    read = client.get(f"/api/v1/documents/{response.json()['id']}", headers=ALICE).json()
    assert read["fields"][0]["content"] == shown


def test_only_the_first_bad_field_is_reported(client: TestClient) -> None:
    form = create_form(client, [{"type": "Number", "name": "a"}, {"type": "Number", "name": "b"}])
    publish(client, form["id"])
    response = new_document(client, form["id"], [{"content": "x"}, {"content": "y"}])
    assert_api_error(
        response, 422, 42201, "Validation problem with field 1: Invalid number format [x]."
    )


def test_which_forms_a_document_may_be_made_from(client: TestClient) -> None:
    form = create_form(client, EXAMPLE_FIELDS)
    # NEW forms are usable by their owner (RSpace blocks only unpublished ones).
    assert new_document(client, form["id"]).status_code == 201
    response = client.post("/api/v1/documents", headers=BOB, json={"form": {"id": form["id"]}})
    assert response.status_code == 422
    assert response.json()["message"].startswith("Folder with id [")
    publish(client, form["id"])
    client.put(f"/api/v1/forms/{form['id']}/unpublish", headers=ALICE)
    assert_api_error(
        new_document(client, form["id"]),
        422,
        42201,
        f"Form with id [{form['id']}] could not be retrieved - possibly it has been deleted, does "
        "not exist, or you do not have permission to access it.",
    )
    assert_api_error(
        new_document(client, form["id"], [{}, {}]),
        422,
        42201,
        '"fields" array should have 6 fields, but had 2',
    )


def test_searching_by_form_name(client: TestClient) -> None:
    form = create_form(client, EXAMPLE_FIELDS, name="Cell culture")
    publish(client, form["id"])
    made = new_document(client, form["id"]).json()
    for term in ("cell culture", "Culture", "cell*"):
        query = json.dumps({"terms": [{"query": term, "queryType": "form"}]})
        found = client.get("/api/v1/documents", headers=ALICE, params={"advancedQuery": query})
        assert [d["id"] for d in found.json()["documents"]] == [made["id"]], term
    query = json.dumps({"terms": [{"query": f"FM{form['id']}", "queryType": "form"}]})
    assert_api_error(
        client.get("/api/v1/documents", headers=BOB, params={"advancedQuery": query}),
        401,
        40101,
        f"Either form FM{form['id']} does not exist or bob does not have read permission",
    )

"""Forms: the form RSpace ships, creating forms of every field type and RSpace's validation of
them, their lifecycle (a state machine: publish, unpublish, share, unshare, edit, documents made
from them, delete), documents made from forms and the validation of each field type's content,
and searching documents by form.

Forms made here are named with the run tag. RSpace cannot delete a form once documents were
made from it, so against a shared RSpace those forms stay (unpublished) after the run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from .clauses import Reach, expect
from .helpers import (
    DOCUMENTS,
    api_key,
    create_document,
    pick,
    require_api_key_users,
    require_writable,
)
from .plugin import TargetFactory
from .shapes import check_error, json_body
from .target import Target, UserCredentials

FORMS = "/api/v1/forms"

#: One field of each type with settings, and the content RSpace gives a new document for it.
TYPED_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"name": "Title", "type": "String", "defaultValue": "untitled"}, "untitled"),
    ({"name": "Method", "type": "Text", "defaultValue": "<p>Method</p>"}, "<p>Method</p>"),
    ({"name": "Volume", "type": "Number", "min": 0, "max": 50, "defaultValue": 22}, "22.0"),
    (
        {
            "name": "Antibodies",
            "type": "Choice",
            "multipleChoice": True,
            "options": ["gp41", "gp120", "gp232"],
            "defaultOptions": ["gp41", "gp232"],
        },
        "gp41,gp232",
    ),
    (
        {"name": "Strain", "type": "Radio", "options": ["K12", "BL21"], "defaultOption": "BL21"},
        "BL21",
    ),
    (
        {
            "name": "Made",
            "type": "Date",
            "min": "2018-02-15",
            "defaultValue": "2018-03-21",
            "max": "2018-04-30",
        },
        "2018-03-21",
    ),
    ({"name": "Source", "type": "Uri"}, ""),
    ({"name": "Sample", "type": "Reference"}, ""),
    ({"name": "Sheet", "type": "Attachment"}, ""),
]


def _form_name(target: Target, suffix: str) -> str:
    return f"{target.run_tag}{suffix}"[:50]


def post_form(target: Target, user: UserCredentials, body: dict[str, Any]) -> httpx.Response:
    return target.post(FORMS, json=body, headers=api_key(user))


def made_form(
    target: Target, user: UserCredentials, suffix: str, fields: list[Any]
) -> dict[str, Any]:
    response = post_form(target, user, {"name": _form_name(target, suffix), "fields": fields})
    expect(
        response.status_code == 201,
        "FORMS-CREATE-1",
        f"POST /forms gave {response.status_code}: {response.text[:300]}",
    )
    form: dict[str, Any] = json_body(response, "WIRE-CT-1")
    return form


def form_action(target: Target, user: UserCredentials, form_id: int, action: str) -> dict[str, Any]:
    response = target.put(f"{FORMS}/{form_id}/{action}", headers=api_key(user))
    expect(
        response.status_code == 200,
        "FORMS-LIFECYCLE-1",
        f"PUT /forms/{form_id}/{action} gave {response.status_code}: {response.text[:300]}",
    )
    body: dict[str, Any] = json_body(response, "WIRE-CT-1")
    return body


@pytest.fixture
def user(target: Target) -> UserCredentials:
    require_writable(target, "forms are created")
    return require_api_key_users(target)[0]


@pytest.mark.clause("FORMS-SHIPPED-1")
def test_every_user_reads_the_basic_document_form(target: Target) -> None:
    user = require_api_key_users(target)[0]
    response = target.get(
        FORMS,
        params={"scope": "all", "query": "Basic Document", "pageSize": 100},
        headers=api_key(user),
    )
    expect(response.status_code == 200, "FORMS-SHIPPED-1", f"listing gave {response.text[:200]}")
    listed = [f for f in response.json()["forms"] if f["name"] == "Basic Document"]
    expect(len(listed) == 1, "FORMS-SHIPPED-1", f"Basic Document listed {len(listed)} times")
    basic = listed[0]
    expect(
        basic["formState"] == "PUBLISHED"
        and basic["accessControl"]["worldPermissionType"] in ("READ", "WRITE"),
        "FORMS-SHIPPED-1",
        f"Basic Document is {basic['formState']}, {basic['accessControl']}",
    )
    form = target.get(f"{FORMS}/{basic['id']}", headers=api_key(user)).json()
    expect(
        [(f["type"], f["name"]) for f in form["fields"]] == [("Text", "Data")],
        "FORMS-SHIPPED-1",
        f"Basic Document's fields: {form['fields']}",
    )
    if not target.read_only:
        document = create_document(target, user, {"name": f"{target.run_tag}basic"}).json()
        expect(
            document["form"]["id"] == basic["id"],
            "FORMS-SHIPPED-1",
            f"a document without a form is made from {document['form']}",
        )


@pytest.mark.clause("FORMS-CREATE-1", "FORMS-DOCFIELDS-1")
def test_a_form_of_every_type_and_a_document_made_from_it(
    target: Target, user: UserCredentials
) -> None:
    form = made_form(target, user, "types", [f for f, _ in TYPED_FIELDS])
    expect(
        (form["formState"], form["version"]) == ("NEW", 0),
        "FORMS-CREATE-1",
        f"a new form is {form['formState']} version {form['version']}",
    )
    expect(
        [link["rel"] for link in form["_links"]] == ["self", "publish", "share", "icon"],
        "FORMS-CREATE-1",
        f"links {form['_links']}",
    )
    fields = form["fields"]
    expect(
        [(f["type"], f["name"]) for f in fields]
        == [(f["type"], f["name"]) for f, _ in TYPED_FIELDS],
        "FORMS-CREATE-1",
        f"fields {[(f['type'], f['name']) for f in fields]}",
    )
    by_name = {f["name"]: f for f in fields}
    expect(
        by_name["Antibodies"]["options"] == ["gp41", "gp120", "gp232"]
        and by_name["Antibodies"]["defaultOptions"] == ["gp41", "gp232"]
        and by_name["Strain"]["defaultOption"] == "BL21"
        and by_name["Volume"]["min"] == 0
        and by_name["Volume"]["max"] == 50
        and by_name["Made"]["defaultValue"] == "2018-03-21",
        "FORMS-CREATE-1",
        f"settings read back as {by_name}",
    )
    form_action(target, user, form["id"], "publish")
    response = create_document(
        target, user, {"name": f"{target.run_tag}typed", "form": {"id": form["id"]}}
    )
    expect(response.status_code == 201, "FORMS-DOCFIELDS-1", f"create gave {response.text[:300]}")
    document = response.json()
    expect(
        [(f["name"], f["type"], f["content"]) for f in document["fields"]]
        == [(f["name"], f["type"].lower(), content) for f, content in TYPED_FIELDS],
        "FORMS-DOCFIELDS-1",
        f"fields {[(f['name'], f['type'], f['content']) for f in document['fields']]}",
    )
    form_action(target, user, form["id"], "unpublish")


FORM_BODY_ROWS: list[tuple[dict[str, Any], str]] = [
    ({"fields": []}, "name: must not be null"),
    ({"name": "x" * 51}, "name: Name must be between 1 and 50 characters"),
    (
        {"name": "f", "fields": [{"type": "Number", "name": "n", "min": 5, "max": 5}]},
        "fields[0]: Min must be < max",
    ),
    (
        {"name": "f", "fields": [{"type": "Number", "name": "n", "max": 5, "defaultValue": 6}]},
        "fields[0]: Min must be < max",
    ),
    (
        {"name": "f", "fields": [{"type": "Radio", "name": "r", "options": []}]},
        "fields[0].options: Please provide at least one option",
    ),
    (
        {
            "name": "f",
            "fields": [{"type": "Radio", "name": "r", "options": ["a"], "defaultOption": "b"}],
        },
        "fields[0]: Default option must be one of the possible options",
    ),
    (
        {
            "name": "f",
            "fields": [{"type": "Choice", "name": "c", "options": ["a"], "defaultOptions": ["b"]}],
        },
        "fields[0]: Default options must be included in the possible options",
    ),
    (
        {
            "name": "f",
            "fields": [{"type": "Date", "name": "d", "min": "2020-02-01", "max": "2020-01-01"}],
        },
        "fields[0]: Min date must be before max date, and default date must be between them",
    ),
]


@pytest.mark.clause("FORMS-VALIDATION-1")
@pytest.mark.parametrize(("body", "error"), FORM_BODY_ROWS)
def test_form_bodies_are_validated(
    target: Target, user: UserCredentials, body: dict[str, Any], error: str
) -> None:
    problem = check_error(post_form(target, user, body), "FORMS-VALIDATION-1", 400, 40002)
    expect(error in problem["errors"], "FORMS-VALIDATION-1", f"errors {problem['errors']}")


@pytest.mark.clause("FORMS-VALIDATION-1")
def test_an_unknown_field_type_is_unreadable(target: Target, user: UserCredentials) -> None:
    body = {"name": "f", "fields": [{"type": "number", "name": "n"}]}
    check_error(post_form(target, user, body), "FORMS-VALIDATION-1", 400, 40009)


#: (field, content, what RSpace says after "Validation problem with field 1: ").
CONTENT_ROWS: list[tuple[dict[str, Any], str, str]] = [
    ({"type": "Number", "name": "n"}, "ten", "Invalid number format [ten]."),
    ({"type": "Number", "name": "n", "min": 1}, "0.5", "Data [0.5] smaller than minimum [1.0]"),
    ({"type": "Number", "name": "n", "max": 1}, "2", "Data [2] greater than maximum [1.0]"),
    (
        {"type": "Number", "name": "n", "decimalPlaces": 0},
        "1.5",
        "Data [1.5] has too many decimal places (should be [0] ).",
    ),
    ({"type": "Radio", "name": "r", "options": ["a"]}, "b", "Invalid data for Radio Field [b]"),
    (
        {"type": "Choice", "name": "c", "options": ["a"]},
        "a,,a",
        "Invalid data for Choice Field [fieldChoices=a&fieldChoices=&fieldChoices=a]",
    ),
    ({"type": "Date", "name": "d"}, "soon", "Invalid date format [soon]"),
    (
        {"type": "Date", "name": "d", "max": "2020-01-01"},
        "2021-06-01",
        "Input date [2021-06-01] after maximum [2020-01-01]",
    ),
]


@pytest.mark.clause("FORMS-CONTENT-1")
def test_field_content_is_validated_by_type(target: Target, user: UserCredentials) -> None:
    form = made_form(target, user, "content", [f for f, _, _ in CONTENT_ROWS])
    form_action(target, user, form["id"], "publish")
    for index, (_, content, problem) in enumerate(CONTENT_ROWS):
        fields: list[dict[str, Any]] = [{} for _ in CONTENT_ROWS]
        fields[index] = {"content": content}
        body = {"name": f"{target.run_tag}content", "form": {"id": form["id"]}, "fields": fields}
        check_error(
            create_document(target, user, body),
            "FORMS-CONTENT-1",
            422,
            42201,
            f"Validation problem with field {index + 1}: {problem}",
        )
    form_action(target, user, form["id"], "unpublish")


@pytest.mark.clause("FORMS-SEARCH-1")
def test_documents_are_found_by_their_form(target: Target, user: UserCredentials) -> None:
    word = "qf" + target.run_tag.strip("-").replace("-", "").lower()
    form = made_form(target, user, f"{word} assay", [{"name": "Notes", "type": "Text"}])
    form_action(target, user, form["id"], "publish")
    made = create_document(
        target, user, {"name": f"{target.run_tag}by-form", "form": {"id": form["id"]}}
    ).json()
    body = {
        "name": form["name"],
        "fields": [{"id": form["fields"][0]["id"], "name": "Notes", "type": "Text"}],
    }
    version = target.put(f"{FORMS}/{form['id']}", json=body, headers=api_key(user)).json()
    for term in (version["globalId"], form["globalId"], word):
        query = json.dumps({"terms": [{"query": term, "queryType": "form"}]})
        response = target.get(DOCUMENTS, params={"advancedQuery": query}, headers=api_key(user))
        found = [d["id"] for d in response.json().get("documents", [])]
        expect(found == [made["id"]], "FORMS-SEARCH-1", f"form term {term!r} found {found}")
    form_action(target, user, version["id"], "unpublish")


# -- the lifecycle, as a state machine ----------------------------------------------------


@dataclass
class ModelForm:
    """What the suite expects of one form (a chain of versions under one stable id)."""

    id: int
    stable_id: str
    version: int = 0
    state: str = "NEW"
    group: str = "NONE"
    documents: int = 0
    field_ids: list[int] = field(default_factory=list)
    #: The first field's name and type (an edit may keep it, with its type).
    first: tuple[str, str] = ("Amount", "Number")
    old_ids: list[int] = field(default_factory=list)


ACTIONS = ["publish", "unpublish", "share", "unshare", "edit", "document", "delete", "create"]
REACH = {
    "FORMS-LIFECYCLE-1": (
        "edit of a NEW form",
        "edit of a form in use",
        "delete of a used form",
        "delete of an unused form",
        "unpublish of a NEW form",
    ),
    "FORMS-UNPUBLISHED-1": ("document from an unpublished form",),
}


class FormsMachine(RuleBasedStateMachine):
    def __init__(self, factory: TargetFactory, reach: Reach) -> None:
        super().__init__()
        self.factory = factory
        self.reach = reach
        self.target: Target = factory.new()
        self.user = self.target.credentials.api_key_users[0]
        self.forms: dict[int, ModelForm] = {}
        self.counter = 0

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        action = data.draw(st.sampled_from(ACTIONS), label="action")
        if not self.forms or (action == "create" and len(self.forms) > 6):
            action = "create" if not self.forms else "publish"
        getattr(self, action)(data)

    def _headers(self) -> dict[str, str]:
        return api_key(self.user)

    def _check(self, form: dict[str, Any], model: ModelForm, how: str) -> None:
        expect(
            (form["id"], form["stableId"], form["version"], form["formState"])
            == (model.id, model.stable_id, model.version, model.state)
            and form["accessControl"]["groupPermissionType"] == model.group,
            "FORMS-LIFECYCLE-1",
            f"{how}: form {form['id']} v{form['version']} {form['formState']} "
            f"{form['accessControl']}; model: {model}",
        )

    def create(self, data: st.DataObject) -> None:
        self.counter += 1
        fields = [
            {"name": "Amount", "type": "Number", "min": 0},
            {"name": "Kind", "type": "Radio", "options": ["a", "b"]},
        ]
        form = made_form(self.target, self.user, f"m{self.counter}", fields)
        model = ModelForm(form["id"], form["stableId"], field_ids=[f["id"] for f in form["fields"]])
        self._check(form, model, "create")
        self.forms[model.id] = model

    def _pick(self, data: st.DataObject) -> ModelForm:
        return pick(data, sorted(self.forms.values(), key=lambda m: m.id), "form")

    def publish(self, data: st.DataObject) -> None:
        model = self._pick(data)
        model.state = "PUBLISHED"
        self._check(form_action(self.target, self.user, model.id, "publish"), model, "publish")

    def unpublish(self, data: st.DataObject) -> None:
        model = self._pick(data)
        if model.state == "NEW":
            self.reach.hit("FORMS-LIFECYCLE-1", "unpublish of a NEW form")
        elif model.state == "PUBLISHED":
            model.state = "UNPUBLISHED"
        self._check(form_action(self.target, self.user, model.id, "unpublish"), model, "unpublish")

    def share(self, data: st.DataObject) -> None:
        model = self._pick(data)
        model.group = "READ"
        self._check(form_action(self.target, self.user, model.id, "share"), model, "share")

    def unshare(self, data: st.DataObject) -> None:
        model = self._pick(data)
        model.group = "NONE"
        self._check(form_action(self.target, self.user, model.id, "unshare"), model, "unshare")

    def edit(self, data: st.DataObject) -> None:
        model = self._pick(data)
        keep = data.draw(st.booleans(), label="keep the first field")
        fields: list[dict[str, Any]] = [{"name": "Notes", "type": "Text"}]
        if keep:
            name, kind = model.first
            fields.insert(0, {"id": model.field_ids[0], "name": name, "type": kind})
        body = {"name": _form_name(self.target, f"m{model.id}e"), "fields": fields}
        response = self.target.put(f"{FORMS}/{model.id}", json=body, headers=self._headers())
        expect(
            response.status_code == 200,
            "FORMS-LIFECYCLE-1",
            f"edit gave {response.status_code}: {response.text[:300]}",
        )
        form = response.json()
        if model.state == "NEW":
            self.reach.hit("FORMS-LIFECYCLE-1", "edit of a NEW form")
            kept = form["fields"][0]["id"] if keep else None
            expect(
                not keep or kept == model.field_ids[0],
                "FORMS-LIFECYCLE-1",
                f"an edit of a NEW form changed a kept field's id to {kept}",
            )
        else:
            self.reach.hit("FORMS-LIFECYCLE-1", "edit of a form in use")
            del self.forms[model.id]
            model.old_ids.append(model.id)
            model.id = form["id"]
            model.version += 1
            old = self.target.get(f"{FORMS}/{model.old_ids[-1]}", headers=self._headers()).json()
            expect(
                old.get("formState") == "OLD",
                "FORMS-LIFECYCLE-1",
                f"the edited version is {old.get('formState')}, not OLD",
            )
            self.forms[model.id] = model
        model.field_ids = [f["id"] for f in form["fields"]]
        model.first = (form["fields"][0]["name"], form["fields"][0]["type"])
        self._check(form, model, "edit")
        self._check_listed()

    def _check_listed(self) -> None:
        response = self.target.get(FORMS, params={"pageSize": 100}, headers=self._headers())
        listed = {f["id"] for f in response.json()["forms"]}
        current = set(self.forms)
        old = {i for m in self.forms.values() for i in m.old_ids}
        expect(
            current <= listed and not old & listed,
            "FORMS-LIFECYCLE-1",
            f"listing shows {sorted(listed)}; current {sorted(current)}, old {sorted(old)}",
        )

    def document(self, data: st.DataObject) -> None:
        model = self._pick(data)
        if model.state == "NEW":
            # RSpace lets a NEW form be used, and then still deletes it: not stated here.
            return
        body = {"name": f"{self.target.run_tag}m", "form": {"id": model.id}}
        response = create_document(self.target, self.user, body)
        if model.state == "UNPUBLISHED":
            self.reach.hit("FORMS-UNPUBLISHED-1", "document from an unpublished form")
            check_error(response, "FORMS-UNPUBLISHED-1", 422, 42201)
            return
        expect(
            response.status_code == 201,
            "FORMS-LIFECYCLE-1",
            f"a document from a published form gave {response.status_code}",
        )
        model.documents += 1

    def delete(self, data: st.DataObject) -> None:
        model = self._pick(data)
        response = self.target.delete(f"{FORMS}/{model.id}", headers=self._headers())
        if model.documents:
            self.reach.hit("FORMS-LIFECYCLE-1", "delete of a used form")
            check_error(
                response,
                "FORMS-LIFECYCLE-1",
                422,
                42201,
                f"Form {model.stable_id} has been used to create documents, and cannot be deleted.",
            )
            return
        self.reach.hit("FORMS-LIFECYCLE-1", "delete of an unused form")
        expect(
            response.status_code == 204,
            "FORMS-LIFECYCLE-1",
            f"delete of an unused form gave {response.status_code}: {response.text[:200]}",
        )
        del self.forms[model.id]
        gone = self.target.get(f"{FORMS}/{model.id}", headers=self._headers())
        check_error(gone, "FORMS-LIFECYCLE-1", 404)

    def teardown(self) -> None:
        if self.factory.fresh_each_time:
            self.target.close()
            return
        for model in list(self.forms.values()):
            if model.state == "PUBLISHED":
                self.target.put(f"{FORMS}/{model.id}/unpublish", headers=self._headers())
            self.target.delete(f"{FORMS}/{model.id}", headers=self._headers())


@pytest.mark.real_port
@pytest.mark.clause("FORMS-LIFECYCLE-1", "FORMS-UNPUBLISHED-1")
def test_forms_match_model(target_factory: TargetFactory) -> None:
    probe = target_factory.new()
    require_writable(probe, "the forms machine creates, changes and deletes forms")
    require_api_key_users(probe)
    if target_factory.fresh_each_time:
        probe.close()
    reach = Reach(REACH)
    target_factory.run_machine(lambda: FormsMachine(target_factory, reach))
    reach.note_missed()

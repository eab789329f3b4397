"""Documents as a state machine: a model of each user's documents against the server's answers.

Only documents the run created are modelled; documents that were already there are counted
once at the start, so the machine also runs on a server it cannot reset. As in the token
machine, one rule draws the action of each step, so that every run mixes creates, updates,
deletes, reads and listings (hypothesis would otherwise enable a random subset of rules per
run), and draws never depend on the server's answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    rule,
)

from .clauses import Reach, expect
from .helpers import (
    DOCUMENTS,
    NOT_FOUND_MESSAGE,
    api_key,
    create_document,
    delete_document,
    pick,
    require_api_key_users,
    require_writable,
)
from .plugin import TargetFactory
from .shapes import check_document_info, check_error, check_listing, json_body
from .strategies import field_contents, name_suffixes, some_tags, tag_strings
from .target import Target, UserCredentials

ORDERS = [
    None,
    "name asc",
    "name desc",
    "created asc",
    "created desc",
    "lastModified asc",
    "lastModified desc",
]
LINK_ORDER = ["prev", "first", "next", "last", "self"]

DOCUMENT_CLAUSES = (
    "DOCS-CREATE-1",
    "DOCS-ROUNDTRIP-1",
    "DOCS-TOTAL-1",
    "DOCS-PAGING-1",
    "DOCS-LINKS-1",
    "DOCS-PASTEND-1",
    "DOCS-DELETE-1",
    "DOCS-ISOLATION-1",
    "DOCS-NOTFOUND-1",
    "WIRE-DOC-1",
    "WIRE-LISTING-1",
)


#: What the runs must get to, per clause, for the clause to count as checked by the machine.
REACH = {
    "DOCS-CREATE-1": ("create with an empty body",),
    "DOCS-ROUNDTRIP-1": (
        "update of the name alone",
        "update of the tags alone",
        "update of the content alone",
        "GET of an updated document",
    ),
    "DOCS-PAGING-1": (
        "walk over several pages",
        "order by name",
        "order by created",
        "order by lastModified",
    ),
    "DOCS-LINKS-1": ("page with prev and first links", "page with next and last links"),
    "DOCS-PASTEND-1": ("page past the end",),
    "DOCS-DELETE-1": ("deleted document read, changed or deleted again",),
    "DOCS-ISOLATION-1": ("another user's document read, changed or deleted",),
}

#: Weighted: creates and updates come up twice as often, so that listings have pages to walk.
ACTIONS = (
    "create",
    "create",
    "create_empty",
    "update",
    "update",
    "get",
    "delete",
    "touch_deleted",
    "touch_other_users_document",
    "walk_all_pages",
)

#: Which keys an update sends: each alone first (the others must stay as they were), then
#: together, then none.
UPDATED_KEYS = (
    ("name",),
    ("tags",),
    ("fields",),
    ("name", "tags"),
    ("name", "fields"),
    ("tags", "fields"),
    ("name", "tags", "fields"),
    (),
)


@dataclass
class ModelDocument:
    id: int
    owner: UserCredentials
    name: str
    tags: str | None
    content: str | None
    updated: bool = False

    @property
    def orderable_name(self) -> bool:
        # Lower-case ASCII, digits and '-' sort the same under any collation RSpace may use.
        return all(c in "abcdefghijklmnopqrstuvwxyz0123456789-" for c in self.name)


def check_not_found(response: Any, clause: str, document_id: int) -> None:
    check_error(response, clause, 404)
    check_error(
        response,
        "DOCS-NOTFOUND-1",
        404,
        50301,
        NOT_FOUND_MESSAGE.format(id=document_id),
        [""],
    )


def _empty_tags(value: object) -> bool:
    return value is None or value == ""


class DocumentsMachine(RuleBasedStateMachine):
    def __init__(self, factory: TargetFactory, reach: Reach) -> None:
        super().__init__()
        self.factory = factory
        self.reach = reach
        self.target: Target = factory.new()
        self.users = self.target.credentials.api_key_users[:2]
        self.alive: dict[int, ModelDocument] = {}
        self.deleted: dict[int, ModelDocument] = {}
        self.baseline: dict[str, int] = {}
        self.counter = 0

    @initialize()
    def count_existing_documents(self) -> None:
        for user in self.users:
            self.baseline[user.username] = self._total(user)

    def _total(self, user: UserCredentials) -> int:
        response = self.target.get(DOCUMENTS, params={"pageSize": 1}, headers=api_key(user))
        expect(response.status_code == 200, "DOCS-TOTAL-1", f"listing gave {response.text}")
        total: int = check_listing(json_body(response, "WIRE-LISTING-1"))["totalHits"]
        return total

    def _name(self, suffix: str) -> str:
        self.counter += 1
        return f"{self.target.run_tag}{self.counter}-{suffix}"

    def _expect_content(self, document: dict[str, Any], model: ModelDocument, how: str) -> None:
        expect(
            document["name"] == model.name,
            "DOCS-ROUNDTRIP-1",
            f"{how}: name {document['name']!r} != {model.name!r}",
        )
        if model.tags is None:
            expect(_empty_tags(document["tags"]), "DOCS-ROUNDTRIP-1", f"{how}: tags {document}")
        else:
            expect(
                document["tags"] == model.tags,
                "DOCS-ROUNDTRIP-1",
                f"{how}: tags {document['tags']!r} != {model.tags!r}",
            )
        if model.content is not None:
            contents = [field["content"] for field in document["fields"]]
            expect(
                contents[:1] == [model.content],
                "DOCS-ROUNDTRIP-1",
                f"{how}: field content {contents!r} != {[model.content]!r}",
            )
        expect(
            document["owner"]["username"] == model.owner.username,
            "DOCS-ROUNDTRIP-1",
            f"{how}: owner {document['owner']['username']!r} != {model.owner.username!r}",
        )

    # --- the one rule ----------------------------------------------------------------------

    @rule(data=st.data())
    def act(self, data: st.DataObject) -> None:
        action = data.draw(st.sampled_from(ACTIONS), label="action")
        possible = {
            "update": bool(self.alive),
            "get": bool(self.alive),
            "delete": bool(self.alive),
            "touch_deleted": bool(self.deleted),
            "touch_other_users_document": len(self.users) > 1 and bool(self.alive),
            "create_empty": len(self.alive) < 40,
        }
        if not possible.get(action, True):
            action = "create"
        getattr(self, action)(data)

    def create(self, data: st.DataObject) -> None:
        owner = pick(data, self.users, "owner")
        suffix = data.draw(name_suffixes, label="name")
        tags = data.draw(tag_strings, label="tags")
        content = data.draw(st.one_of(st.none(), field_contents), label="content")
        body: dict[str, Any] = {"name": self._name(suffix)}
        if tags is not None:
            body["tags"] = tags
        if content is not None:
            body["fields"] = [{"content": content}]
        response = create_document(self.target, owner, body)
        expect(
            response.status_code == 201,
            "DOCS-ROUNDTRIP-1",
            f"create {body!r} gave {response.status_code}: {response.text[:300]}",
        )
        document = check_document_info(json_body(response, "WIRE-DOC-1"), "WIRE-DOC-1", full=True)
        model = ModelDocument(document["id"], owner, body["name"], tags, content)
        self._expect_content(document, model, "create response")
        self.alive[model.id] = model
        self._check_total(owner, "a create")

    def create_empty(self, data: st.DataObject) -> None:
        owner = pick(data, self.users, "owner")
        response = create_document(self.target, owner, {})
        self.reach.hit("DOCS-CREATE-1", "create with an empty body")
        expect(
            response.status_code == 201,
            "DOCS-CREATE-1",
            f"create {{}} gave {response.status_code}: {response.text[:300]}",
        )
        document = check_document_info(json_body(response, "WIRE-DOC-1"), "WIRE-DOC-1", full=True)
        expect(
            document["name"] == "Untitled document",
            "DOCS-CREATE-1",
            f"name {document['name']!r}",
        )
        expect(
            document["form"]["name"] == "Basic Document",
            "DOCS-CREATE-1",
            f"form {document['form']['name']!r}",
        )
        self.alive[document["id"]] = ModelDocument(
            document["id"], owner, "Untitled document", None, None
        )
        self._check_total(owner, "a create")

    def update(self, data: st.DataObject) -> None:
        model = pick(data, sorted(self.alive.values(), key=lambda d: d.id), "document")
        given = set(data.draw(st.sampled_from(UPDATED_KEYS), label="keys"))
        body: dict[str, Any] = {}
        if "name" in given:
            body["name"] = model.name = self._name(data.draw(name_suffixes, label="name"))
        if "tags" in given:
            tags = data.draw(st.one_of(st.just(""), some_tags), label="tags")
            body["tags"] = tags
            model.tags = tags or None
        if "fields" in given:
            content = data.draw(field_contents, label="content")
            body["fields"] = [{"content": content}]
            model.content = content
        for key, part in (("name", "name"), ("tags", "tags"), ("fields", "content")):
            if given == {key}:
                self.reach.hit("DOCS-ROUNDTRIP-1", f"update of the {part} alone")
        model.updated = True
        response = self.target.put(
            f"{DOCUMENTS}/{model.id}", json=body, headers=api_key(model.owner)
        )
        expect(
            response.status_code == 200,
            "DOCS-ROUNDTRIP-1",
            f"update {body!r} gave {response.status_code}: {response.text[:300]}",
        )
        document = check_document_info(json_body(response, "WIRE-DOC-1"), "WIRE-DOC-1", full=True)
        self._expect_content(document, model, f"response to the update {sorted(given)}")

    def get(self, data: st.DataObject) -> None:
        model = pick(data, sorted(self.alive.values(), key=lambda d: d.id), "document")
        response = self.target.get(f"{DOCUMENTS}/{model.id}", headers=api_key(model.owner))
        if model.updated:
            self.reach.hit("DOCS-ROUNDTRIP-1", "GET of an updated document")
        expect(
            response.status_code == 200,
            "DOCS-ROUNDTRIP-1",
            f"GET of a live document gave {response.status_code}: {response.text[:300]}",
        )
        document = check_document_info(json_body(response, "WIRE-DOC-1"), "WIRE-DOC-1", full=True)
        self._expect_content(document, model, "GET")

    def delete(self, data: st.DataObject) -> None:
        model = pick(data, sorted(self.alive.values(), key=lambda d: d.id), "document")
        response = delete_document(self.target, model.owner, model.id)
        expect(
            response.status_code == 204 and not response.content,
            "DOCS-DELETE-1",
            f"DELETE gave {response.status_code} with body {response.text[:200]!r}",
        )
        self.deleted[model.id] = self.alive.pop(model.id)
        # Checked at once, so that a DELETE that does nothing fails its own clause first.
        response = self.target.get(f"{DOCUMENTS}/{model.id}", headers=api_key(model.owner))
        check_not_found(response, "DOCS-DELETE-1", model.id)
        self._check_total(model.owner, "a DELETE")

    def touch_deleted(self, data: st.DataObject) -> None:
        model = pick(data, sorted(self.deleted.values(), key=lambda d: d.id), "document")
        method = data.draw(st.sampled_from(["GET", "PUT", "DELETE"]), label="method")
        response = self.target.request(
            method,
            f"{DOCUMENTS}/{model.id}",
            headers=api_key(model.owner),
            **({"json": {"name": self._name("x")}} if method == "PUT" else {}),
        )
        self.reach.hit("DOCS-DELETE-1", "deleted document read, changed or deleted again")
        check_not_found(response, "DOCS-DELETE-1", model.id)

    def touch_other_users_document(self, data: st.DataObject) -> None:
        model = pick(data, sorted(self.alive.values(), key=lambda d: d.id), "document")
        method = data.draw(st.sampled_from(["GET", "PUT", "DELETE"]), label="method")
        other = next(u for u in self.users if u.username != model.owner.username)
        response = self.target.request(
            method,
            f"{DOCUMENTS}/{model.id}",
            headers=api_key(other),
            **({"json": {"name": self._name("x")}} if method == "PUT" else {}),
        )
        self.reach.hit("DOCS-ISOLATION-1", "another user's document read, changed or deleted")
        check_not_found(response, "DOCS-ISOLATION-1", model.id)
        if method != "GET":
            # A refused change must not have happened: the owner still sees the document as
            # it was.
            response = self.target.get(f"{DOCUMENTS}/{model.id}", headers=api_key(model.owner))
            expect(
                response.status_code == 200,
                "DOCS-ISOLATION-1",
                f"after another user's refused {method}, the owner's GET gave "
                f"{response.status_code}: {response.text[:200]}",
            )
            document = check_document_info(
                json_body(response, "WIRE-DOC-1"), "WIRE-DOC-1", full=True
            )
            expect(
                document["name"] == model.name,
                "DOCS-ISOLATION-1",
                f"another user's refused PUT renamed the document to {document['name']!r}",
            )

    def walk_all_pages(self, data: st.DataObject) -> None:
        user = pick(data, self.users, "user")
        order = data.draw(st.sampled_from(ORDERS), label="orderBy")
        page_size = data.draw(st.sampled_from([1, 2, 3, 5, 7, 20]), label="pageSize")
        expected_total = self.baseline[user.username] + self._alive_count(user)
        page_size = max(page_size, math.ceil(expected_total / 10))
        params: dict[str, Any] = {"pageSize": page_size}
        if order:
            params["orderBy"] = order
        response = self.target.get(DOCUMENTS, params=params, headers=api_key(user))
        visited: list[dict[str, Any]] = []
        page_number = 0
        total = None
        while True:
            expect(
                response.status_code == 200,
                "DOCS-PAGING-1",
                f"page {page_number} gave {response.status_code}: {response.text[:300]}",
            )
            listing = check_listing(json_body(response, "WIRE-LISTING-1"))
            if total is None:
                expect(
                    listing["totalHits"] == expected_total,
                    "DOCS-TOTAL-1",
                    f"totalHits {listing['totalHits']} for {user.username}, model says "
                    f"{expected_total}",
                )
            total = listing["totalHits"] if total is None else total
            expect(
                listing["totalHits"] == total,
                "DOCS-PAGING-1",
                "totalHits changed while walking",
            )
            expect(
                listing["pageNumber"] == page_number,
                "DOCS-PAGING-1",
                f"pageNumber {listing['pageNumber']}, expected {page_number}",
            )
            on_page = min(page_size, max(total - page_number * page_size, 0))
            expect(
                len(listing["documents"]) == on_page,
                "DOCS-PAGING-1",
                f"page {page_number} (pageSize {page_size}, totalHits {total}) holds "
                f"{len(listing['documents'])} documents, not {on_page}",
            )
            links = _check_page_links(listing, page_number, page_size, order, self.reach)
            visited += listing["documents"]
            if "next" not in links:
                break
            expect(page_number < 1000, "DOCS-PAGING-1", "more than 1000 pages")
            page_number += 1
            response = self.target.get(links["next"], headers=api_key(user))
        if page_number > 0:
            self.reach.hit("DOCS-PAGING-1", "walk over several pages")
        self._check_walk(user, visited, total, order)
        past_end = dict(params, pageNumber=page_number + 1)
        response = self.target.get(DOCUMENTS, params=past_end, headers=api_key(user))
        self.reach.hit("DOCS-PASTEND-1", "page past the end")
        expect(
            response.status_code == 200 and response.json().get("documents") == [],
            "DOCS-PASTEND-1",
            f"page past the end gave {response.status_code}: {response.text[:300]}",
        )
        expect(
            response.json().get("totalHits") == total,
            "DOCS-PASTEND-1",
            f"page past the end says totalHits {response.json().get('totalHits')}, not {total}",
        )

    def _check_walk(
        self, user: UserCredentials, visited: list[dict[str, Any]], total: int, order: str | None
    ) -> None:
        ids = [d["id"] for d in visited]
        expect(
            len(ids) == len(set(ids)),
            "DOCS-PAGING-1",
            f"a document was listed twice: {sorted(i for i in ids if ids.count(i) > 1)}",
        )
        expect(
            len(ids) == total,
            "DOCS-PAGING-1",
            f"walking next links visited {len(ids)} documents but totalHits is {total}",
        )
        mine = {i for i, d in self.alive.items() if d.owner.username == user.username}
        missing = mine - set(ids)
        expect(not missing, "DOCS-PAGING-1", f"documents never visited: {sorted(missing)}")
        others = {i for i, d in self.alive.items() if d.owner.username != user.username}
        expect(
            not (others & set(ids)),
            "DOCS-ISOLATION-1",
            f"another user's documents {sorted(others & set(ids))} in the listing",
        )
        for summary in visited:
            model = self.alive.get(summary["id"])
            if model is not None:
                expect(
                    summary["name"] == model.name
                    and (
                        summary["tags"] == model.tags
                        or (model.tags is None and not summary["tags"])
                    ),
                    "DOCS-ROUNDTRIP-1",
                    f"listing shows {summary['name']!r}/{summary['tags']!r} for document "
                    f"{model.id}, model has {model.name!r}/{model.tags!r}",
                )
        gone = set(self.deleted) & set(ids)
        expect(not gone, "DOCS-DELETE-1", f"deleted documents {sorted(gone)} still listed")
        field, direction = (order or "lastModified desc").split()
        if len(ids) > 1:
            self.reach.hit("DOCS-PAGING-1", f"order by {field}")
        if field == "name":
            names = [
                self.alive[i].name for i in ids if i in self.alive and self.alive[i].orderable_name
            ]
            ordered = sorted(names, reverse=direction == "desc")
            expect(names == ordered, "DOCS-PAGING-1", f"not in {order} order: {names}")
        else:
            values = [d[field] for d in visited]
            ordered = sorted(values, reverse=direction == "desc")
            expect(values == ordered, "DOCS-PAGING-1", f"not in {field} {direction} order")

    def _alive_count(self, user: UserCredentials) -> int:
        return sum(1 for d in self.alive.values() if d.owner.username == user.username)

    def _check_total(self, user: UserCredentials, after: str) -> None:
        """totalHits, checked right after each step that changes (or may wrongly change) it;
        every walk checks it too."""
        expected = self.baseline[user.username] + self._alive_count(user)
        total = self._total(user)
        expect(
            total == expected,
            "DOCS-TOTAL-1",
            f"after {after}, totalHits {total} for {user.username}, model says {expected}",
        )

    def teardown(self) -> None:
        if self.factory.fresh_each_time:
            self.target.close()
        else:
            for model in list(self.alive.values()):
                delete_document(self.target, model.owner, model.id)


def _check_page_links(
    listing: dict[str, Any], page_number: int, page_size: int, order: str | None, reach: Reach
) -> dict[str, str]:
    links = listing["_links"]
    rels = [link["rel"] for link in links]
    expect(
        rels == [r for r in LINK_ORDER if r in rels] and len(rels) == len(set(rels)),
        "DOCS-LINKS-1",
        f"links out of order prev, first, next, last, self: {rels}",
    )
    by_rel = {link["rel"]: link["link"] for link in links}
    expect("self" in by_rel, "DOCS-LINKS-1", f"no self link: {rels}")
    expect(("prev" in by_rel) == (page_number > 0), "DOCS-LINKS-1", f"prev on page {page_number}")
    has_more = listing["totalHits"] > (page_number + 1) * page_size
    expect(
        ("next" in by_rel) == has_more,
        "DOCS-PAGING-1",
        f"page {page_number} of {listing['totalHits']} (size {page_size}) has links {rels}",
    )
    # RSpace's ApiPaginatedResultList: 'first' only when 'prev' is not page 0, 'last' only
    # when 'next' is not the last page.
    total = listing["totalHits"]
    last_page = max(math.ceil(total / page_size) - 1, 0)
    expect(
        ("first" in by_rel) == (page_number >= 2),
        "DOCS-LINKS-1",
        f"page {page_number}: 'first' link must appear exactly when prev is not page 0: {rels}",
    )
    expect(
        ("last" in by_rel) == (total > (page_number + 2) * page_size),
        "DOCS-LINKS-1",
        f"page {page_number} of {total} (size {page_size}): 'last' link must appear exactly "
        f"when next is not the last page: {rels}",
    )
    if "first" in by_rel:
        reach.hit("DOCS-LINKS-1", "page with prev and first links")
    if "last" in by_rel:
        reach.hit("DOCS-LINKS-1", "page with next and last links")
    expected_pages = {"prev": page_number - 1, "first": 0, "next": page_number + 1}
    expected_pages |= {"last": last_page, "self": page_number}
    for rel, link in by_rel.items():
        query = parse_qs(urlsplit(link).query)
        expect(
            query.get("pageNumber") == [str(expected_pages.get(rel, -1))],
            "DOCS-LINKS-1",
            f"{rel} link {link} should be page {expected_pages.get(rel)}",
        )
        expect("pageNumber" in query, "DOCS-LINKS-1", f"{rel} link {link} lacks pageNumber")
        expect(
            ("pageSize" in query) == (page_size != 20),
            "DOCS-LINKS-1",
            f"{rel} link {link}: pageSize must appear only when not 20",
        )
        expect(
            ("orderBy" in query) == (order not in (None, "lastModified desc")),
            "DOCS-LINKS-1",
            f"{rel} link {link}: orderBy must appear only when not the default",
        )
        if "pageSize" in query:
            expect(query["pageSize"] == [str(page_size)], "DOCS-LINKS-1", f"{rel} link {link}")
        if "orderBy" in query:
            expect(query["orderBy"] == [order], "DOCS-LINKS-1", f"{rel} link {link}")
            # Spring's UriComponentsBuilder.encode(): a space is %20, not '+'.
            expect(
                f"orderBy={str(order).replace(' ', '%20')}" in link,
                "DOCS-LINKS-1",
                f"{rel} link {link}: the space in orderBy must be encoded as %20",
            )
    return by_rel


@pytest.mark.real_port
@pytest.mark.clause(*DOCUMENT_CLAUSES)
def test_documents_match_model(target_factory: TargetFactory) -> None:
    probe = target_factory.new()
    require_writable(probe, "the documents machine creates, changes and deletes documents")
    require_api_key_users(probe)
    if target_factory.fresh_each_time:
        probe.close()
    reach = Reach(REACH)
    if len(probe.credentials.api_key_users) < 2:
        reach.cannot(
            "DOCS-ISOLATION-1",
            "another user's document read, changed or deleted",
            "needs a second user with an API key",
        )
    target_factory.run_machine(lambda: DocumentsMachine(target_factory, reach))
    reach.note_missed()

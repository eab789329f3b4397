"""The documents API's rules (``DocumentsApiController``): listing, reading, creating, updating
and (soft) deleting structured documents. Who may read or change another user's document is
decided in ``permissions.py`` (shares, and a PI's view of their lab); RSpace answers 404, never
403, for a document you may not read, and 401 for a change you may not make."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..clock import Clock
from .activity import AuditTrail
from .attachments import Linker, MarkedField, has_markers, readable_files, shown_file_ids
from .bodies import json_object, long_value, string_value
from .document_query import (
    DATE_KINDS,
    MAX_HITS,
    DocumentQuery,
    SearchTerm,
    api_date_spec,
    date_parts,
    matches,
    parse_offset_datetime,
    search_condition,
    sort_key,
)
from .errors import (
    AuthenticationFailed,
    DocumentNotFound,
    FieldError,
    IllegalArgument,
    UnreadableBody,
    ValidationFailed,
)
from .form_fields import content_problems, default_content, kept_content
from .forms import FormService
from .html_safelist import clean_field_html
from .json_text import JsonTextError, parse_json
from .kinds import DOCUMENTS, FOLDERS, SHARES, USERS
from .models import Document, Field, Form, FormField, User
from .paging import (
    epoch_millis,
    parse_paging,
    truncate_to_millis,
)
from .permissions import NO_ACCESS, Access, Permissions
from .store import Store
from .text import and_list, json_value_problem

if TYPE_CHECKING:
    from .folders import FolderService

DEFAULT_NAME = "Untitled document"
MAX_QUERY_LENGTH = 2000
#: How many narrowed candidates a search reads from the store at a time.
CANDIDATE_BATCH = 1200
#: How far up the folder tree a records term looks (a tree deeper than this is not RSpace's).
MAX_DEPTH = 1000
NAME_MAX_LENGTH = 255
ALLOWED_ORDERS = [f"{f} {d}" for f in ("name", "created", "lastModified") for d in ("asc", "desc")]
QUERY_TYPES = {
    "global",
    "fullText",
    "tag",
    "name",
    "created",
    "lastModified",
    "form",
    "attachment",
    "owner",
    "records",
}
FILTERS = {"favorites", "sharedWithMe"}


@dataclass(frozen=True)
class ListingRequest:
    """A validated ``GET /documents``: the store query plus what the links must repeat."""

    query: DocumentQuery
    order_by: str
    search_query: str | None
    advanced_query: str | None
    filter: str | None


def parse_listing(params: Mapping[str, str], owner_id: int) -> ListingRequest:
    """Validate listing parameters the way RSpace binds and checks them."""
    errors: list[FieldError] = []
    page_number, page_size, order_by = parse_paging(params, errors)
    search_query = params.get("query") or None
    advanced_query = params.get("advancedQuery") or None
    filter_value = params.get("filter") or None
    for name, value in (("query", search_query), ("advancedQuery", advanced_query)):
        if value is not None and len(value) > MAX_QUERY_LENGTH:
            errors.append(
                FieldError(
                    name, value, f"Max query length is {MAX_QUERY_LENGTH}.", "apiDocSearchConfig"
                )
            )
    if filter_value is not None and filter_value not in FILTERS:
        errors.append(
            FieldError(
                "filter",
                filter_value,
                'must match "(favorites)|(sharedWithMe)"',
                "apiDocSearchConfig",
            )
        )
    if errors:
        raise ValidationFailed(errors)

    if order_by not in ALLOWED_ORDERS:
        # Passes the regex (e.g. two spaces) but is not one of the exact values.
        raise IllegalArgument(
            f"Problem parsing sort parameter: [{order_by}]. It must be one of "
            f"[{', '.join(ALLOWED_ORDERS)}]."
        )
    if search_query is not None and advanced_query is not None:
        raise IllegalArgument("Please provide either a query or advancedQuery, not both")

    order_field, direction = order_by.split(" ")
    operator = "and"
    terms: tuple[SearchTerm, ...] = ()
    if search_query is not None:
        terms = (SearchTerm("global", search_query),)
    elif advanced_query is not None:
        operator, terms = parse_advanced_query(advanced_query)
    check_search_terms(terms)
    return ListingRequest(
        query=DocumentQuery(
            owner_id=owner_id,
            order_field=order_field,
            ascending=direction == "asc",
            page_number=page_number,
            page_size=page_size,
            operator=operator,
            terms=terms,
            filter=filter_value,
        ),
        order_by=order_by,
        search_query=search_query,
        advanced_query=advanced_query,
        filter=filter_value,
    )


def parse_advanced_query(text: str) -> tuple[str, tuple[SearchTerm, ...]]:
    """``{"operator": "and"|"or", "terms": [{"query": ..., "queryType": ...}]}``, read as
    Jackson reads ``ApiSearchQuery``: unknown keys and unknown names are refused, a scalar
    query is read as its text, no ``terms`` is none."""
    problem = IllegalArgument(f"Problem with parsing advancedQuery: {text}")
    try:
        parsed = parse_json(text)
    except JsonTextError:
        raise problem from None
    if not isinstance(parsed, dict) or not set(parsed) <= {"operator", "terms"}:
        raise problem
    # A lone surrogate (a "\ud800" escape) is no text a document can hold or a store look up.
    if json_value_problem(parsed) is not None:
        raise problem
    operator = parsed.get("operator", "and")
    raw_terms = parsed.get("terms")
    if operator not in ("and", "or"):
        raise problem
    if raw_terms is None:
        return operator, ()
    if not isinstance(raw_terms, list):
        raise problem
    terms = []
    for raw in raw_terms:
        if not isinstance(raw, dict) or not set(raw) <= {"query", "queryType"}:
            raise problem
        query, query_type = raw.get("query"), raw.get("queryType", "global")
        if isinstance(query, bool):
            query = "true" if query else "false"
        elif isinstance(query, int | float):
            query = str(query)
        elif query is None:
            query = ""
        elif not isinstance(query, str):
            raise problem
        # A queryType that is a list or an object is malformed too (not a lookup error).
        if not isinstance(query_type, str) or query_type not in QUERY_TYPES:
            raise problem
        if query_type in DATE_KINDS:
            query = api_date_spec(query)
        terms.append(SearchTerm(str(query_type), query))
    return operator, tuple(terms)


_FORM_GLOBAL_ID = re.compile(r"FM\d+")
#: RSpace's limits on a search term (``SearchInputValidator``).
MAX_TERM_LENGTH = 125
MIN_TERM_LENGTH = 2
_RECORD_PREFIXES = ("SD", "NB", "FL")


def check_search_terms(terms: tuple[SearchTerm, ...]) -> None:
    """``WorkspaceSearchInputValidator``: the first problem, as a 422."""
    for index, term in enumerate(terms):
        if not term.query.strip():
            raise IllegalArgument("Empty search term")
        if len(term.query) > MAX_TERM_LENGTH:
            raise IllegalArgument(
                f"Search term at index {index} is too long ({len(term.query)} chars) - max "
                f"search string length is {MAX_TERM_LENGTH} chars."
            )
    for term in terms:
        if term.query.strip().startswith("l:") and ":*" in term.query:
            raise IllegalArgument(
                f"Search term [{term.query}] is too permissive - please use a more precise "
                "search term"
            )
    for term in terms:
        exempt = term.query_type == "records" or term.query_type in DATE_KINDS
        if not exempt and len(term.query) < MIN_TERM_LENGTH:
            raise IllegalArgument(f"Search term must be at least {MIN_TERM_LENGTH} characters")
    kinds = [t.query_type for t in terms]
    for term in terms:
        cannot_parse = IllegalArgument(f"Cannot parse the search term {term.query}")
        if term.query_type in ("fullText", "global") and term.query.startswith(("*", "?")):
            raise IllegalArgument(
                f"Search term [{term.query}] should not begin with a wildcard (* or ?)."
            )
        if term.query_type == "records":
            if len(kinds) < 2 or all(kind == "records" for kind in kinds):
                raise IllegalArgument(
                    "Filtering by folder/document IDs must also include a search term"
                )
            for record in date_parts(term.query):
                digits = record[2:]
                if (
                    len(record) <= 2
                    or record[:2] not in _RECORD_PREFIXES
                    or not _is_java_long(digits)
                ):
                    raise cannot_parse
        if term.query_type in DATE_KINDS:
            parts = date_parts(term.query)
            if len(parts) != 2 or any(
                part not in ("", "null") and parse_offset_datetime(part) is None for part in parts
            ):
                raise cannot_parse


def _is_java_long(text: str) -> bool:
    """``Long.parseLong``: an optional sign and ASCII digits, within 64 bits."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        return False
    return -(2**63) <= int(text) < 2**63


# -- request bodies -------------------------------------------------------------------------

_ABSENT: Any = object()


def _string_value(body: Mapping[str, Any], key: str) -> Any:
    """Jackson's view of a String property: scalars are coerced, containers are unreadable."""
    if key not in body:
        return _ABSENT
    return string_value(body[key], key)


@dataclass(frozen=True)
class FieldUpdate:
    id: int | None
    name: str | None
    type: str | None
    content: str | None


@dataclass(frozen=True)
class DocumentChanges:
    """The keys of an ``ApiDocument`` body that RSpace uses; ``_ABSENT`` marks a missing key."""

    name: Any
    tags: Any
    form: Any
    fields: list[FieldUpdate] | None
    #: Where a new document goes (``None``: the Api Inbox).
    parent_folder_id: int | None = None

    @classmethod
    def from_body(cls, body: object) -> DocumentChanges:
        # Every document body (API, admin, fixtures) comes through here: any string in it,
        # read or not, must be Unicode text, or RSpace's unreadable-body 400 answers.
        body = json_object(body)
        name = _string_value(body, "name")
        tags = _string_value(body, "tags")
        form = body.get("form")
        if form is not None and not isinstance(form, dict):
            raise UnreadableBody("JSON parse error: form must be an object")
        if isinstance(form, dict):
            long_value(form.get("id"), "form.id")
            _string_value(form, "globalId")
        for key in ("grandParentId", "id"):
            long_value(body.get(key), key)
        parent_folder_id = long_value(body.get("parentFolderId"), "parentFolderId")
        raw_fields = body.get("fields")
        fields: list[FieldUpdate] | None = None
        if raw_fields is not None:
            if not isinstance(raw_fields, list):
                raise UnreadableBody("JSON parse error: fields must be an array")
            fields = []
            for raw in raw_fields:
                if raw is None:
                    raw = {}
                if not isinstance(raw, dict):
                    raise UnreadableBody("JSON parse error: a field must be an object")
                field_name = _string_value(raw, "name")
                field_type = _string_value(raw, "type")
                if isinstance(field_type, str):
                    # ``ApiFieldType.fromString``: any case of a known type, else unreadable
                    if field_type.upper() not in FIELD_TYPES:
                        raise UnreadableBody(f"JSON parse error: no field type {field_type!r}")
                    field_type = field_type.lower()
                content = _string_value(raw, "content")
                fields.append(
                    FieldUpdate(
                        id=long_value(raw.get("id"), "fields.id"),
                        name=None if field_name is _ABSENT else field_name,
                        type=None if field_type is _ABSENT else field_type,
                        content=None if content is _ABSENT else content,
                    )
                )
        return cls(
            name=name, tags=tags, form=form, fields=fields, parent_folder_id=parent_folder_id
        )


#: ``ApiField.ApiFieldType``.
FIELD_TYPES = frozenset(
    [
        "STRING",
        "TEXT",
        "CHOICE",
        "RADIO",
        "DATE",
        "NUMBER",
        "TIME",
        "ATTACHMENT",
        "REFERENCE",
        "URI",
        "IDENTIFIER",
        "LINK",
    ]
)


def field_description(index: int, given: FieldUpdate) -> str:
    """``getFieldDescForErrorMsg``: how an error message names a field of the request."""
    return MarkedField(index, given.id, given.name, "").describe()


def check_field(index: int, given: FieldUpdate, form_field: FormField) -> None:
    """``checkApiFieldsMatchingFormFields`` for one field with content (one without is not
    checked): its type, then its name, then its content against the form's field."""
    if given.content is None:
        return
    where = field_description(index, given)
    if given.type is not None and given.type != form_field.type:
        raise IllegalArgument(
            f'Mismatched field type in {where}: "{form_field.type}" type expected, but was '
            f'"{given.type}"'
        )
    if given.name and given.name != form_field.name:
        raise IllegalArgument(
            f'Mismatched field name in {where}: "{form_field.name}" name expected, but was '
            f'"{given.name}"'
        )
    problems = content_problems(form_field, kept_content(form_field.type, given.content))
    if problems:
        raise IllegalArgument(f"Validation problem with {where}: {and_list(problems)}")


def _new_field_content(form_field: FormField) -> str:
    """A new document's field: the form field's default (a text default cleaned as content)."""
    content = default_content(form_field)
    return clean_field_html(content) if form_field.type == "text" and content else content


#: ``ApiDocumentInfo.tags``: ``@Size(max = 8000)``.
TAGS_MAX_LENGTH = 8000
#: ``DocumentTagManagerImpl``: characters no tag may hold, in the order they are checked.
FORBIDDEN_TAG_CHARACTERS = ("<", ">", "\\", "/")
#: ``OntologyDocManager``: what ends a tag's value in its metadata entry.
_ONTOLOGY_DELIMITER = "__RSP_EXTONT_URL_DELIM__"


def _check_bound(name: object, tags: object) -> None:
    """Bean validation of ``ApiDocument``: before anything else, the 404 included."""
    errors = []
    if isinstance(name, str) and len(name) > NAME_MAX_LENGTH:
        errors.append(  # errors.inventory.name.validationTooLong
            FieldError(
                "name",
                name,
                f"Name cannot be longer than {NAME_MAX_LENGTH} characters",
                "apiDocument",
            )
        )
    if isinstance(tags, str) and len(tags) > TAGS_MAX_LENGTH:
        errors.append(
            FieldError(
                "tags",
                tags,
                f"Document tags cannot be longer than {TAGS_MAX_LENGTH} characters",
                "apiDocument",
            )
        )
    if errors:
        raise ValidationFailed(errors)


def _java_split(text: str) -> list[str]:
    """Java's ``String.split(",")``: trailing empty pieces dropped (``""`` gives ``[""]``)."""
    pieces = text.split(",")
    while len(pieces) > 1 and pieces[-1] == "":
        pieces.pop()
    return pieces if any(pieces) or len(pieces) == 1 else [""]


def tagged(tags: str, metadata: str | None) -> tuple[str, str]:
    """``apiSaveTagForDocument``: the stored tags and ``tagMetaData``. A tag kept keeps its
    ontology metadata; a new one is a plain value; each is checked for forbidden characters."""
    pieces = _java_split(tags)
    for piece in pieces:
        for character in FORBIDDEN_TAG_CHARACTERS:
            if character in piece:
                raise IllegalArgument(f"The value: {character} may not be used in tags")
    known = {
        entry.split(_ONTOLOGY_DELIMITER, 1)[0]: entry
        for entry in (metadata.split(",") if metadata else [])
    }
    entries = [known.get(piece, piece) for piece in pieces]
    return ",".join(pieces), ",".join(entries)


def _rename(name: str) -> str:
    """``sanitizeNewRecordName``: trimmed, at most 255 characters, line feeds as spaces."""
    trimmed = name.strip()
    if len(trimmed) > NAME_MAX_LENGTH:
        trimmed = trimmed[: NAME_MAX_LENGTH - 3] + "..."
    return trimmed.replace("\n", " ")


class DocumentService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        folders: FolderService,
        forms: FormService,
        permissions: Permissions,
        audit: AuditTrail | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        #: Where creations, changes and deletions are recorded.
        self.audit = audit or AuditTrail(store, clock)
        #: Who may read and change which documents.
        self.permissions = permissions
        #: Where new documents may go.
        self.folders = folders
        #: What new documents are made from.
        self.forms = forms

    def now(self) -> datetime:
        return truncate_to_millis(self.clock.now())

    def search(self, listing: ListingRequest) -> tuple[int, list[Document]]:
        """``(total hits, documents of the requested page)`` of what the caller may list: their
        own documents, those shared with them and, for a PI (or a lab admin with "view all"),
        their lab's (``getViewableRecordsByRole``); ``filter=sharedWithMe`` keeps only the
        shared ones. A search with terms is narrowed by the store (``search_condition``, run
        off the GIL, see ``domain/store.py``), decided by ``matches``, cut at RSpace's 1000
        hits and paged in memory as RSpace pages it: a page past the end shows the first page."""
        query = listing.query
        if query.filter == "favorites":
            return 0, []  # the fake has no favourites (see DocumentQuery)
        documents = self.store.collection(DOCUMENTS)
        caller = self.store.collection(USERS).get(query.owner_id)
        order, ascending = query.order_field, query.ascending
        offset, limit = query.offset, query.page_size
        owners: list[int] = [query.owner_id]
        shared: list[Document] = []
        if query.filter == "sharedWithMe":
            owners, shared = [], self._shared_documents(caller) if caller else []
        elif caller is not None:
            owners, shared = self._viewable(caller)
        if not query.terms:
            if owners == [query.owner_id] and not shared:
                return documents.page(
                    query.owner_id, order, ascending=ascending, offset=offset, limit=limit
                )
            return self._merged_page(owners, shared, query)
        forms = self.forms.all_forms()
        for term in query.terms:
            # LuceneSearchTermListFactory looks up a form named by its global id.
            form_id = term.query_type in ("global", "form") and _FORM_GLOBAL_ID.fullmatch(
                term.query
            )
            if form_id:
                named = forms.get(int(term.query[2:]))
                if named is None or caller is None or not self.forms.readable(caller, named):
                    username = caller.username if caller else ""
                    raise AuthenticationFailed(
                        f"Either form {term.query} does not exist or {username} does not have "
                        "read permission"
                    )
        now = self.clock.now()
        ancestors = self._ancestry()
        hits: list[Document] = []
        for owner_id in owners:
            hits.extend(self._partition_hits(owner_id, query, forms, now, ancestors))
        if shared:
            usernames = self._usernames()
            hits.extend(
                d
                for d in shared
                if matches(
                    d,
                    replace(query, owner_id=d.owner_id, filter=None),
                    usernames,
                    forms,
                    now=now,
                    ancestors=ancestors,
                )
            )
        if len(owners) + bool(shared) > 1:
            hits.sort(key=sort_key(order), reverse=not ascending)
        hits = hits[:MAX_HITS]
        start = offset if offset < len(hits) else 0
        return len(hits), hits[start : start + limit]

    def _viewable(self, caller: User) -> tuple[list[int], list[Document]]:
        """Whose documents the caller lists (themselves first), and the documents of others
        shared with them."""
        if caller.has_sysadmin_role:
            others = sorted(
                u.id for u in self.store.collection(USERS).select() if u.id != caller.id
            )
            return [caller.id, *others], []
        owners = [caller.id, *self.permissions.overseen(caller.id)]
        shared = [d for d in self._shared_documents(caller) if d.owner_id not in owners]
        return owners, shared

    def _shared_documents(self, caller: User) -> list[Document]:
        """Documents shared with the caller, directly or through a group, by their owners
        (``getSharedRecordsWithUser``): a shared notebook's entries are not among them."""
        documents = self.store.collection(DOCUMENTS)
        found = []
        for item_id in self.permissions.shared_item_ids(caller.id):
            document = documents.get(item_id)
            if document is not None and not document.deleted and document.owner_id != caller.id:
                found.append(document)
        return found

    def _merged_page(
        self, owners: list[int], shared: list[Document], query: DocumentQuery
    ) -> tuple[int, list[Document]]:
        """One page of several owners' listings and some shared documents, in one order."""
        documents = self.store.collection(DOCUMENTS)
        wanted = query.offset + query.page_size
        total = len(shared)
        rows = list(shared)
        for owner_id in owners:
            count, page = documents.page(
                owner_id, query.order_field, ascending=query.ascending, offset=0, limit=wanted
            )
            total += count
            rows.extend(page)
        rows.sort(key=sort_key(query.order_field), reverse=not query.ascending)
        return total, rows[query.offset : wanted]

    def _usernames(self) -> Callable[[int], str]:
        users = self.store.collection(USERS)
        known: dict[int, str] = {}

        def username(user_id: int) -> str:
            if user_id not in known:
                user = users.get(user_id)
                known[user_id] = user.username if user else ""
            return known[user_id]

        return username

    def _partition_hits(
        self,
        owner_id: int,
        query: DocumentQuery,
        forms: Mapping[int, Form],
        now: datetime,
        ancestors: Callable[[Document], set[int]],
    ) -> list[Document]:
        """The hits among one owner's documents, at most RSpace's 1000, in the query's order:
        the store narrows and orders; candidates are read a batch at a time until 1000 hits
        are found, so a broad search does not read every candidate."""
        documents = self.store.collection(DOCUMENTS)
        query = replace(query, owner_id=owner_id, filter=None)
        username = self._usernames()(owner_id)
        condition = search_condition(query, username, forms)
        hits: list[Document] = []
        read = 0
        while len(hits) < MAX_HITS:
            total, batch = documents.search(
                owner_id,
                condition,
                query.order_field,
                ascending=query.ascending,
                offset=read,
                limit=CANDIDATE_BATCH,
            )
            read += len(batch)
            hits.extend(
                d
                for d in batch
                if matches(d, query, lambda _: username, forms, now=now, ancestors=ancestors)
            )
            if not batch or read >= total:
                break
        return hits[:MAX_HITS]

    def _ancestry(self) -> Callable[[Document], set[int]]:
        """The ids of the folders and notebooks above a document (looked up once each)."""
        folders = self.store.collection(FOLDERS)
        above: dict[int, set[int]] = {}

        def of_folder(folder_id: int) -> set[int]:
            chain: list[int] = []
            current: int | None = folder_id
            while current is not None and current not in above and len(chain) < MAX_DEPTH:
                chain.append(current)
                folder = folders.get(current)
                current = folder.parent_id if folder is not None else None
            known = above.get(current, set()) if current is not None else set()
            for folder_id_on_path in reversed(chain):
                known = known | {folder_id_on_path}
                above[folder_id_on_path] = known
            return above[folder_id]

        return lambda document: of_folder(document.parent_folder_id)

    def get(self, user: User, document_id: int) -> Document:
        """A document the user may read; RSpace's 404 for one they may not (never a 403)."""
        return self._readable(user, document_id)[0]

    def _readable(self, user: User, document_id: int) -> tuple[Document, Access]:
        """The document and what the user may do with it, if they may read it."""
        document = self.store.collection(DOCUMENTS).get(document_id)
        access = self.permissions.of_document(user, document) if document else NO_ACCESS
        if document is None or not access.read:
            raise DocumentNotFound(document_id)
        return document, access

    def _check_changes(
        self, user: User, document: Document, access: Access, changes: DocumentChanges
    ) -> None:
        """What a reader who may not write is refused, in RSpace's order: a rename (only the
        owner renames), tags, then the content (``saveStructuredDocument``)."""
        if document.owner_id == user.id:
            return
        may_write = access.edit
        renamed = isinstance(changes.name, str) and bool(changes.name.strip())
        if renamed and _rename(str(changes.name)) != document.name:
            raise AuthenticationFailed(
                f"Unauthorized attempt by {user.username} to rename {document.name} "
                f"[id={document.id}]"
            )
        if isinstance(changes.tags, str) and not may_write:
            raise AuthenticationFailed(
                f"Unauthorised attempt by user {user.username} to save tag [{document.id}]"
            )
        if any(u.content is not None for u in changes.fields or []) and not may_write:
            raise AuthenticationFailed(
                f"Unauthorised attempt by user {user.username} to save document [{document.id}]"
            )

    def create(
        self,
        user: User,
        body: object,
        *,
        created: datetime | None = None,
        last_modified: datetime | None = None,
    ) -> Document:
        changes = DocumentChanges.from_body(body)
        _check_bound(changes.name, changes.tags)
        form = self.forms.form_for_document(user, changes.form)
        # A name is used as given (RSpace trims only renames); a blank one is the default.
        name = changes.name if isinstance(changes.name, str) and changes.name.strip() else None
        name = name or DEFAULT_NAME
        contents = [_new_field_content(f) for f in form.fields]
        #: Text fields with ``<fileId=N>`` markers: expanded once their field ids are known.
        marked: list[MarkedField] = []
        if changes.fields:  # none, or an empty list: the form's fields with their defaults
            if len(changes.fields) != len(form.fields):
                raise IllegalArgument(
                    f'"fields" array should have {len(form.fields)} fields, but had '
                    f"{len(changes.fields)}"
                )
            for index, (given, form_field) in enumerate(
                zip(changes.fields, form.fields, strict=True)
            ):
                if given.content is None:
                    continue  # RSpace skips a field without content: its default stays
                check_field(index, given, form_field)
                if form_field.type == "text" and has_markers(given.content):
                    contents[index] = given.content
                    marked.append(MarkedField(index, given.id, given.name, contents[index]))
                elif form_field.type == "text":
                    contents[index] = clean_field_html(given.content)
                else:
                    contents[index] = kept_content(form_field.type, given.content)
        linker = Linker(self.store, user)
        linker.check(marked)
        with self.store.transaction():
            parent, grandparent_id = self.folders.document_target(user, changes.parent_folder_id)
            self.forms.check_usable(user, form, parent.id)
            now = self.now()
            created_at = truncate_to_millis(created) if created else now
            modified_at = truncate_to_millis(last_modified) if last_modified else created_at
            document = Document(
                id=self.store.next_id("record"),
                owner_id=user.id,
                name=name,
                form_id=form.id,
                created=created_at,
                last_modified=modified_at,
                parent_folder_id=parent.id,
                grand_parent_id=grandparent_id,
            )
            tags = changes.tags if isinstance(changes.tags, str) else None
            if tags is not None and tags.strip():  # blank tags save nothing: none at all
                document.tags, document.tag_meta_data = tagged(tags, None)
            # One revision for the document, one more for the content saved into its fields
            # (``RecordApiManagerTest.testApiRequestsCreateCorrectNumberOfRevisions``).
            if changes.fields is not None and any(f.content is not None for f in changes.fields):
                document.version = 2
            document.fields = [
                Field(
                    id=self.store.next_id("field"),
                    name=form_field.name,
                    type=form_field.type,
                    content=content,
                    last_modified=modified_at,
                    column_index=form_field.column_index,
                )
                for form_field, content in zip(form.fields, contents, strict=True)
            ]
            for item in marked:
                field = document.fields[item.index]
                field.content = self._expanded(linker, field.id, item.content)
            for field in document.fields:
                field.file_ids = readable_files(self.store, user.id, shown_file_ids(field.content))
            self.store.collection(DOCUMENTS).insert(document)
            # RecordApiManagerImpl: CREATE of the new document, then WRITE of its content.
            self.audit.record_change(user, "CREATE", document, version=1)
            if document.version > 1:
                self.audit.record_change(user, "WRITE", document)
            return document

    def _expanded(self, linker: Linker, field_id: int, content: str) -> str:
        millis = epoch_millis(self.now())
        expanded = linker.expand(content, field_id, millis, lambda: self.store.next_id("chem"))
        return clean_field_html(expanded)

    def update(self, user: User, document_id: int, body: object) -> Document:
        changes = DocumentChanges.from_body(body)
        _check_bound(changes.name, changes.tags)
        # Cleaned (as a text field's HTML) before the store is locked: it is the slow part of
        # saving a large field; which fields are text is known once the document is read.
        updates = changes.fields
        cleaned = {
            index: clean_field_html(u.content)
            for index, u in enumerate(updates or [])
            if u.content is not None and not has_markers(u.content)
        }
        with self.store.transaction():
            document, access = self._readable(user, document_id)
            now = self.now()
            pairs = self._paired_fields(document, updates) if updates else []
            self._check_changes(user, document, access, changes)
            # RSpace's order (``saveApiDocumentChangesToStructuredDocument``), after the fields
            # are checked against the document: a rename (a revision), the tags (no revision,
            # but a modification), then the content (one revision for all fields given).
            saved = False
            if pairs:
                saved = self._apply_field_updates(user, pairs, cleaned, now)
            if isinstance(changes.name, str) and changes.name.strip():
                new_name = _rename(changes.name)
                if new_name != document.name:
                    old_name = document.name
                    document.name = new_name
                    document.version += 1
                    document.last_modified = now
                    self.audit.record_change(
                        user, "RENAME", document, **{"from": old_name, "to": new_name}
                    )
            if isinstance(changes.tags, str):  # null or a missing key: the tags are kept
                old = document.tags or ""
                if old.strip() or changes.tags.strip():
                    document.tags, document.tag_meta_data = tagged(
                        changes.tags, document.tag_meta_data
                    )
                    document.last_modified = now
            if saved:
                document.version += 1
                document.last_modified = now
                self.audit.record_change(user, "WRITE", document)
            self.store.collection(DOCUMENTS).put(document)
            return document

    def _paired_fields(
        self, document: Document, updates: list[FieldUpdate]
    ) -> list[tuple[FieldUpdate, Field]]:
        """The fields given, each with the document's field it changes, checked against it."""
        pairs: list[tuple[FieldUpdate, Field]]
        if len(updates) == len(document.fields):
            # All fields, in form order; any id given must match.
            pairs = list(zip(updates, document.fields, strict=True))
            for given, field in pairs:
                if given.id is not None and given.id != field.id:
                    raise IllegalArgument(
                        f"Provided field id: {given.id} does not match document field id: "
                        f"{field.id}"
                    )
        else:
            # By id only: a field without one, an unknown or repeated id, or too many fields
            # are left over (``convertApiFieldsToMatchDocFields``).
            by_id = {f.id: f for f in document.fields}
            ids = [u.id for u in updates]
            if any(i is None or i not in by_id for i in ids) or len(set(ids)) != len(ids):
                raise IllegalArgument("Provided fields don't match document fields")
            pairs = [(u, by_id[u.id]) for u in updates if u.id is not None]
        definitions = self._field_definitions(document)
        for index, (given, field) in enumerate(pairs):
            definition = definitions.get(field.column_index)
            if definition is None or definition.type != field.type:
                definition = FormField(name=field.name, type=field.type)
            check_field(index, given, definition)
        return pairs

    def _apply_field_updates(
        self,
        user: User,
        pairs: list[tuple[FieldUpdate, Field]],
        cleaned: dict[int, str],
        now: datetime,
    ) -> bool:
        """Saves the content of each field given that has some (``Field.setFieldData``: saved,
        and modified, even when it is the same). Whether any content was saved."""
        marked = [
            MarkedField(index, given.id, given.name, given.content)
            for index, (given, field) in enumerate(pairs)
            if field.type == "text" and has_markers(given.content) and given.content is not None
        ]
        linker = Linker(self.store, user)
        linker.check(marked)
        expanded = {
            item.index: self._expanded(linker, pairs[item.index][1].id, item.content)
            for item in marked
        }
        saved = False
        for index, (given, field) in enumerate(pairs):
            if given.content is None:
                continue
            if index in expanded:
                content = expanded[index]
            elif field.type == "text":
                content = cleaned[index]  # every entry is paired, in order
            else:
                content = kept_content(field.type, given.content)
            if content is not None:
                field.content = content
                field.file_ids = readable_files(self.store, user.id, shown_file_ids(content))
                field.last_modified = now
                saved = True
        return saved

    def _field_definitions(self, document: Document) -> dict[int, FormField]:
        """The document's form's field definitions, by column."""
        form: Form | None = self.forms.find(document.form_id)
        return {f.column_index: f for f in form.fields} if form else {}

    def count_made_from(self, form_ids: list[int]) -> int:
        """How many documents (deleted ones too) were made from any of these forms."""
        documents = self.store.collection(DOCUMENTS)
        return sum(documents.count(form_id=form_id) for form_id in form_ids)

    def delete(self, user: User, document_id: int) -> None:
        """Only the owner deletes (anyone else gets the 404 of a document they cannot see);
        a deleted document is shared with no one any more."""
        with self.store.transaction():
            document = self.get(user, document_id)
            if document.owner_id != user.id:
                raise DocumentNotFound(document_id)
            document.deleted = True
            self.store.collection(DOCUMENTS).put(document)
            self.store.collection(SHARES).delete_where(item_id=document.id)
            self.audit.record_change(user, "DELETE", document)

"""The forms API's rules (``FormsApiController``, ``FormManagerImpl``, ``RSFormApiHandlerImpl``):
the forms every RSpace has, listing, reading, creating, editing (a new version of a form in
use), deleting, publishing and sharing forms, their icons, and which form a new document is
made from.

Who may do what (``FORM`` permissions of RSpace's roles): anyone reads a form shared with the
world (the forms RSpace ships); an owner reads, edits, publishes, shares and deletes their own;
a sysadmin may do all of it to any form. Group sharing sets the form's group permission; until
the fake has groups it lets nobody else in (see the README).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from ..clock import Clock
from .bodies import json_object, string_value
from .errors import (
    ApiProblem,
    AuthenticationFailed,
    FieldError,
    IllegalArgument,
    NotFound,
    UnreadableBody,
    ValidationFailed,
    inaccessible,
    not_found,
)
from .form_fields import (
    CHOICE_PREFIX,
    RADIO_PREFIX,
    FieldPost,
    encode_options,
    name_problems,
    read_field_post,
)
from .kinds import FORM_ICONS, FORMS, USERS
from .models import Document, Form, FormField, FormIcon, User
from .paging import check_sort, epoch_millis, parse_paging, truncate_to_millis
from .permissions import Permissions
from .store import Store
from .text import and_list

#: ``ApiAbstractFormInfo``: a form (``FM``) or template (``IT``) global id, the whole string.
FORM_GLOBAL_ID = re.compile(r"(IT\d+)|(FM\d+)")
#: Who owns the forms RSpace makes for itself (its first sysadmin).
SYSTEM_OWNER_ID = 0
SYSTEM_OWNER_NAME = "sysadmin1"
BASIC_DOCUMENT_NAME = "Basic Document"
DEFAULT_ICON_ID = -1
#: What ``ImageIO`` and the TIFF reader decode, by their first bytes: the image's type.
IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
    b"BM": "image/bmp",
    b"II*\x00": "image/tiff",
    b"MM\x00*": "image/tiff",
}


def image_type(data: bytes) -> str | None:
    """The media type of an image RSpace can read, or ``None``."""
    return next((kind for magic, kind in IMAGE_TYPES.items() if data.startswith(magic)), None)


# -- the forms every RSpace has -------------------------------------------------------------


def _text(name: str) -> FormField:
    return FormField(name=name, type="text")


def _date(name: str) -> FormField:
    return FormField(name=name, type="date")


def _string(name: str) -> FormField:
    return FormField(name=name, type="string")


_CYTOKINES = [
    "IL-4",
    "IL-5",
    "IL-6",
    "IL-10",
    "IL-13",
    "IL-12p40",
    "IL-17",
    "M-CSF",
    "TNFalpha",
    "Relm Alpha",
    "YM1",
    "CCL3 (MIP1 alpha)",
    "GM-CSF",
    "IFNy",
]


@dataclass(frozen=True)
class SystemForm:
    name: str
    fields: tuple[FormField, ...]
    #: The column index of the first field (1 for the forms made by RSpace's initialisers).
    first_column: int = 1
    #: RSpace's ``systemForm`` flag (Basic Document only).
    system: bool = False


#: In the order a production RSpace makes them on its first start and first sign-in (so their
#: ids are FM1 to FM7): the equipment and ontology forms at start-up, then Basic Document and
#: the built-in forms (``ProdContentInitializerManager``).
SYSTEM_FORMS = (
    SystemForm(
        "RSpace_Equipment_Form",
        (
            _string("Equipment name"),
            _string("Equipment category"),
            _text("Equipment Description"),
            _text("Equipment Operational notes"),
            _text("Equipment Bookings"),
        ),
    ),
    SystemForm(
        "RSpace Tags from Ontologies",
        tuple(_text("Ontologies for tag creation") for _ in range(20)),
    ),
    SystemForm(BASIC_DOCUMENT_NAME, (_text("Data"),), first_column=0, system=True),
    SystemForm(
        "Lab Protocol",
        (
            _text("Safety"),
            _text("Method"),
            _text("Materials"),
            _date("Date Created"),
            _date("Date Reviewed"),
        ),
    ),
    SystemForm(
        "Experiment",
        (_date("Date"), _text("Objective"), _text("Method"), _text("Results"), _text("Conclusion")),
    ),
    SystemForm(
        "rtPCR",
        (
            _date("PCR done on"),
            *(
                _text(name)
                for name in (
                    "Template",
                    "Master Mix",
                    "Cycling Parameters",
                    "Primers",
                    "Results",
                    "Positives",
                    "Discussion",
                    "To do",
                )
            ),
        ),
    ),
    SystemForm(
        "ELISA",
        (
            _text("Samples"),
            replace(
                FormField(name="Cytokines", type="choice"),
                options=encode_options(CHOICE_PREFIX, _CYTOKINES),
                default_option="",
            ),
            *(
                _text(name)
                for name in (
                    "Volumes and concentrations",
                    "Plate Plan",
                    "Protocol",
                    "Changes",
                    "Results",
                )
            ),
        ),
    ),
)


def system_forms() -> tuple[Form, ...]:
    """The forms RSpace ships as a fresh store holds them (FM1 to FM7), Basic Document first
    (the published OpenAPI document describes documents made from these)."""
    forms = [
        Form(
            id=index + 1,
            name=definition.name,
            stable_id=f"FM{index + 1}",
            version=0,
            fields=[
                replace(field, column_index=definition.first_column + column)
                for column, field in enumerate(definition.fields)
            ],
            form_state="PUBLISHED",
            world_permission="READ",
            system=definition.system,
        )
        for index, definition in enumerate(SYSTEM_FORMS)
    ]
    forms.sort(key=lambda form: form.name != BASIC_DOCUMENT_NAME)
    return tuple(forms)


def form_not_found(form_id: object) -> NotFound:
    return not_found("Form", form_id)


def unusable_form(form_id: object) -> IllegalArgument:
    """``form.errors.notFound``: the form a document names cannot be used."""
    return IllegalArgument(inaccessible("Form", form_id))


# -- who may do what -----------------------------------------------------------------------


def can_read(user: User, form: Form, colleagues: Collection[int] = ()) -> bool:
    """The owner, a sysadmin, anyone for a form shared with everyone, and ``colleagues`` (the
    users who share a group with the reader) for one shared with the owner's groups."""
    if user.has_sysadmin_role or form.owner_id == user.id or form.world_permission != "NONE":
        return True
    return form.group_permission != "NONE" and form.owner_id in colleagues


def can_write(user: User, form: Form) -> bool:
    return user.has_sysadmin_role or form.owner_id == user.id


#: Publishing, sharing and deleting need the same as editing: the owner or a sysadmin.
can_share = can_write


def access_control(form: Form) -> dict[str, str]:
    return {
        "ownerPermissionType": "WRITE",
        "groupPermissionType": form.group_permission,
        "worldPermissionType": form.world_permission,
    }


# -- a form body (FormPost) ----------------------------------------------------------------


@dataclass
class FormPost:
    name: str
    tags: str | None
    fields: list[FieldPost]


def read_form_post(body: object) -> FormPost:
    """A form body, bound and validated as RSpace does: an unreadable one is a 400 (40009),
    failed constraints one 400 (40002) listing every one."""
    body = json_object(body)
    errors: list[FieldError] = []
    name = string_value(body.get("name"), "name")
    for problem in name_problems(name):
        errors.append(FieldError("name", name, problem, "formPost"))
    tags = string_value(body.get("tags"), "tags")
    form_type = body.get("formType")
    if form_type is not None and form_type not in ("NORMAL", "TEMPLATE"):
        raise UnreadableBody(f"JSON parse error: no FormType {form_type!r}")
    raw_fields = body.get("fields")
    if raw_fields is None:
        raw_fields = []
    if not isinstance(raw_fields, list):
        raise UnreadableBody("JSON parse error: fields must be an array")
    fields = [read_field_post(raw, index, errors) for index, raw in enumerate(raw_fields)]
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(name, str)
    return FormPost(name=name, tags=tags, fields=fields)


# -- listing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormListing:
    total: int
    page_number: int
    page_size: int
    order_by: str
    query: str | None
    scope: str | None
    forms: list[Form]


#: How many documents were made from any of some forms (the documents' side of a delete).
DocumentCounter = Callable[[list[int]], int]

_ORDER_KEYS: dict[str, Callable[[Form], tuple[object, int]]] = {
    "name": lambda f: (f.name.lower(), f.id),
    "created": lambda f: (f.created, f.id),
    "lastModified": lambda f: (f.last_modified, f.id),
}


class FormService:
    def __init__(self, store: Store, clock: Clock, permissions: Permissions | None = None) -> None:
        self.store = store
        self.clock = clock
        #: Who shares a group with whom (a form shared with its owner's groups).
        self.permissions = permissions or Permissions(store)

    def colleagues(self, user: User) -> set[int]:
        """The users who share a group with ``user``."""
        return {i for g in self.permissions.groups_of(user.id) for i in g.member_ids}

    def readable(self, user: User, form: Form) -> bool:
        return can_read(user, form) or can_read(user, form, self.colleagues(user))

    def now(self) -> datetime:
        return truncate_to_millis(self.clock.now())

    # -- the forms RSpace makes for itself ---------------------------------------------

    def ensure_system_forms(self) -> None:
        """Make the forms every RSpace has, once (a fresh store gets them as FM1 to FM7)."""
        with self.store.transaction():
            forms = self.store.collection(FORMS)
            if forms.count():
                return
            for definition in SYSTEM_FORMS:
                form = self._new_form(
                    definition.name,
                    None,
                    SYSTEM_OWNER_ID,
                    list(definition.fields),
                    first_column=definition.first_column,
                )
                form.form_state = "PUBLISHED"
                form.world_permission = "READ"
                form.system = definition.system
                form.tags = ""
                forms.insert(form)

    def _new_form(
        self,
        name: str,
        tags: str | None,
        owner_id: int,
        fields: list[FormField],
        *,
        first_column: int = 0,
        stable_id: str | None = None,
        version: int = 0,
    ) -> Form:
        now = self.now()
        form = Form(
            id=self.store.next_id("form"),
            name=name,
            stable_id=stable_id or self._stable_id(now),
            version=version,
            fields=[],
            owner_id=owner_id,
            tags=tags,
            created=now,
            last_modified=now,
        )
        form.fields = [
            replace(
                field,
                id=self.store.next_id("field_form"),
                column_index=first_column + index,
                last_modified=now,
            )
            for index, field in enumerate(fields)
        ]
        return form

    def _stable_id(self, now: datetime) -> str:
        """``AbstractForm``'s stable id: the creation time in milliseconds and the creator, who
        is not yet known then (``1718000000000null``); a millisecond later if it is taken."""
        forms = self.store.collection(FORMS)
        millis = epoch_millis(now)
        while forms.select(stable_id=f"{millis}null"):
            millis += 1
        return f"{millis}null"

    # -- reading -------------------------------------------------------------------------

    def all_forms(self) -> dict[int, Form]:
        """Every form by id (documents name theirs; searches look forms up by name)."""
        return {form.id: form for form in self.store.collection(FORMS).select()}

    def find(self, form_id: int) -> Form | None:
        return self.store.collection(FORMS).get(form_id)

    def of_documents(self, documents: list[Document]) -> dict[int, Form]:
        """The forms some documents were made from, by id (one read per form)."""
        found: dict[int, Form] = {}
        collection = self.store.collection(FORMS)
        for document in documents:
            if document.form_id not in found:
                form = collection.get(document.form_id)
                found[document.form_id] = form if form is not None else self.basic_document()
        return found

    def basic_document(self) -> Form:
        # The system forms only (found by owner), not every form of every user.
        forms = self.store.collection(FORMS).select(owner_id=SYSTEM_OWNER_ID)
        for form in forms:
            if form.system and form.current and form.name == BASIC_DOCUMENT_NAME:
                return form
        self.ensure_system_forms()
        return self.basic_document()

    def _stored(self, form_id: int) -> Form:
        form = self.store.collection(FORMS).get(form_id)
        if form is None:
            raise form_not_found(form_id)
        return form

    def get(self, user: User, form_id: int) -> Form:
        form = self.store.collection(FORMS).get(form_id)
        if form is None:
            raise not_found("SampleTemplate or form", form_id)
        if not self.readable(user, form):
            raise AuthenticationFailed(
                f"Unauthorised attempt by user {user.username} to  read form  [{form_id}]"
            )
        return form

    def list(self, user: User, params: Mapping[str, str]) -> FormListing:
        errors: list[FieldError] = []
        page_number, page_size, order_by = parse_paging(params, errors)
        if errors:
            raise ValidationFailed(errors)
        check_sort(order_by)
        # RSpace binds query and scope but never reports their problems: any scope other
        # than "all" is "mine", and a short query is still searched.
        query = params.get("query")
        scope = params.get("scope", "mine")
        everyone = scope == "all"
        owners = {u.id: u.username for u in self.store.collection(USERS).select()}
        owners[SYSTEM_OWNER_ID] = SYSTEM_OWNER_NAME
        chosen = []
        colleagues = self.colleagues(user)
        for form in self.store.collection(FORMS).select():
            if not form.current or not can_read(user, form, colleagues):
                continue
            if not everyone and form.owner_id != user.id:
                continue
            if query:
                texts = [form.name, form.tags or ""]
                if everyone:
                    texts.append(owners.get(form.owner_id, ""))
                if not any(_sql_like(query, text) for text in texts):
                    continue
            chosen.append(form)
        field, direction = order_by.split(" ")
        chosen.sort(key=_ORDER_KEYS[field], reverse=direction == "desc")
        start = page_number * page_size
        return FormListing(
            total=len(chosen),
            page_number=page_number,
            page_size=page_size,
            order_by=order_by,
            query=query,
            scope=scope,
            forms=chosen[start : start + page_size],
        )

    # -- creating and editing ------------------------------------------------------------

    def create(self, user: User, body: object) -> Form:
        post = read_form_post(body)
        with self.store.transaction():
            form = self._new_form(post.name, post.tags, user.id, [p.field for p in post.fields])
            self.store.collection(FORMS).insert(form)
            return form

    def edit(self, user: User, form_id: int, body: object) -> Form:
        """``editForm``: a NEW form is changed in place; any other becomes ``OLD`` and a new
        version (a new id, new field ids, the same stable id) takes its place."""
        post = read_form_post(body)
        with self.store.transaction():
            forms = self.store.collection(FORMS)
            original = self._stored(form_id)
            if not self.readable(user, original):
                raise AuthenticationFailed("Cannot edit this form: ACCESS_DENIED")
            if not can_write(user, original) or original.system:
                raise AuthenticationFailed("Cannot edit this form: CANNOT_EDIT_NO_PERMISSION")
            known = [f.id for f in original.fields]
            given = [p.id for p in post.fields if p.id is not None]
            if not _is_sub_collection(given, known):
                persisted = and_list([str(i) for i in known])
                supplied = and_list([str(i) for i in given])
                raise IllegalArgument(
                    "At least one ID in the incoming form fields does not exist in form "
                    f"[{form_id}]. Persisted field form IDs are [{persisted}]; supplied IDs are "
                    f"[{supplied}]."
                )
            by_id = {f.id: f for f in original.fields}
            for post_field in post.fields:
                if post_field.id is not None and by_id[post_field.id].type != post_field.field.type:
                    raise IllegalArgument("Field DTO does not match the stored field type")
            now = self.now()
            edited: list[FormField] = []
            for post_field in post.fields:
                if post_field.id is None:
                    edited.append(post_field.field)
                    continue
                kept = by_id[post_field.id]
                updated = replace(post_field.field, id=kept.id)
                if kept.type == "number":
                    updated.name = kept.name  # RSpace's number field ignores a new name
                edited.append(updated)
            if original.form_state == "NEW":
                fields = []
                for index, field in enumerate(edited):
                    if not field.id:
                        field = replace(field, id=self.store.next_id("field_form"))
                    fields.append(replace(field, column_index=index, last_modified=now))
                original.fields = fields
                original.name = post.name
                original.tags = post.tags
                original.last_modified = now
                forms.put(original)
                return original
            copy = [replace(field, id=0) for field in edited]
            if not original.current:
                # An edit of a superseded version: RSpace keeps the edited copy aside, a NEW
                # form of version 0 that no listing shows, and changes nothing else.
                aside = self._new_form(
                    post.name, post.tags, original.owner_id, copy, stable_id=original.stable_id
                )
                aside.current = False
                forms.insert(aside)
                return aside
            version = self._new_form(
                post.name,
                post.tags,
                original.owner_id,
                copy,
                stable_id=original.stable_id,
                version=original.version + 1,
            )
            version.form_state = original.form_state
            version.group_permission = original.group_permission
            version.world_permission = original.world_permission
            version.icon_id = original.icon_id
            original.form_state = "OLD"
            original.current = False
            forms.put(original)
            forms.insert(version)
            return version

    def delete(self, user: User, form_id: int, documents_of: DocumentCounter) -> None:
        with self.store.transaction():
            form = self.store.collection(FORMS).get(form_id)
            if form is None:
                raise form_not_found(form_id)
            if not can_write(user, form):
                raise AuthenticationFailed(
                    f"Unauthorised attempt by user {user.username} to delete form [{form_id}]"
                )
            # RSpace deletes a NEW form even when documents were made from it, and they are
            # left without a form; the fake keeps them whole (see the README).
            versions = [f.id for f in self.store.collection(FORMS).select(stable_id=form.stable_id)]
            if documents_of(versions):
                raise IllegalArgument(
                    f"Form {form.stable_id} has been used to create documents, and cannot be "
                    "deleted."
                )
            self.store.collection(FORMS).delete(form_id)
            self.store.collection(FORM_ICONS).delete_where(form_id=form_id)

    # -- publishing and sharing ------------------------------------------------------------

    def publish(self, user: User, form_id: int, published: bool) -> Form:
        with self.store.transaction():
            form = self._stored(form_id)
            if not published and form.system:
                raise SystemFormUnpublish()
            if not can_share(user, form):
                raise AuthenticationFailed(f"Unauthorised attempt to publish form: {form_id}")
            state = form.form_state
            if published and state != "PUBLISHED":
                form.form_state = "PUBLISHED"
            elif not published and state == "PUBLISHED":
                form.form_state = "UNPUBLISHED"
            else:
                return form
            form.last_modified = self.now()
            self.store.collection(FORMS).put(form)
            return form

    def share(self, user: User, form_id: int, *, group: bool, world: bool = False) -> Form:
        """``updatePermissions``: a fresh access control (the owner's WRITE, the group's and
        the world's as asked, NONE otherwise)."""
        with self.store.transaction():
            form = self._stored(form_id)
            if world and not user.has_sysadmin_role:
                raise AuthenticationFailed("Only sysadmin can use this API")
            if not can_share(user, form):
                raise AuthenticationFailed(
                    f"Unauthorised attempt by user {user.username} to share form [{form_id}]"
                )
            group_permission = "READ" if group else "NONE"
            world_permission = "READ" if world else "NONE"
            if (form.group_permission, form.world_permission) != (
                group_permission,
                world_permission,
            ):
                form.group_permission = group_permission
                form.world_permission = world_permission
                self.store.collection(FORMS).put(form)
            return form

    # -- icons -----------------------------------------------------------------------------

    def set_icon(self, user: User, form_id: int, file_name: str, data: bytes) -> Form:
        with self.store.transaction():
            form = self._stored(form_id)
            if not can_write(user, form):
                raise AuthenticationFailed("Unauthorized attempt to update form icon")
            if image_type(data) is None:
                raise IllegalArgument(f"Couldn't parse file [{file_name}] as an image.")
            extension = file_name.rsplit(".", 1)[1].lower() if "." in file_name else "png"
            icon = FormIcon(
                id=self.store.next_id("icon"), form_id=form_id, data=data, extension=extension
            )
            self.store.collection(FORM_ICONS).insert(icon)
            form.icon_id = icon.id
            self.store.collection(FORMS).put(form)
            return form

    def icon(self, icon_id: int) -> FormIcon | None:
        """An icon by id, whatever the form (RSpace does not check either); ``None`` for the
        default icon."""
        return self.store.collection(FORM_ICONS).get(icon_id)

    # -- documents -------------------------------------------------------------------------

    def form_for_document(self, user: User, reference: object) -> Form:
        """The form a new document names with ``{"id": n}`` or ``{"globalId": "FMn"}``
        (``retrieveFormIdFromApiForm``): neither means Basic Document; a globalId must be
        well-formed and wins, and an id given with it must agree. An unpublished form cannot
        be used."""
        if reference is None:
            return self.basic_document()
        if not isinstance(reference, dict):
            raise IllegalArgument("form must be an object with an id or a globalId")
        form_id: object = reference.get("id")
        global_id = reference.get("globalId")
        if form_id is None and global_id is None:
            return self.basic_document()
        if global_id is not None:
            if not isinstance(global_id, str) or not FORM_GLOBAL_ID.fullmatch(global_id):
                raise IllegalArgument(f"Wrong format of provided form.globalId [{global_id}]")
            number = int(global_id[2:])
            if form_id is not None and _as_long(form_id) != number:
                raise IllegalArgument(
                    f"form.id [{form_id}] doesn't match form.globalId [{global_id}]"
                )
            form_id = number
        number = _as_long(form_id)
        form = self.store.collection(FORMS).get(number)
        if form is None:
            raise unusable_form(number)
        return form

    def check_usable(self, user: User, form: Form, target_folder_id: int) -> None:
        """After the fields are checked (``doCreateDocument``): an unpublished form cannot be
        used; one the user cannot read is reported as the target folder RSpace failed on."""
        if form.form_state == "UNPUBLISHED":
            raise unusable_form(form.id)
        if not self.readable(user, form):
            raise IllegalArgument(inaccessible("Folder", target_folder_id))


class SystemFormUnpublish(ApiProblem):
    """``UnsupportedOperationException``: 404 with internalCode 50301, as RSpace maps it."""

    http_status = 404
    internal_code = 50301

    def __init__(self) -> None:
        super().__init__("Attempted to unpublish a system form", [""])


def _as_long(value: object) -> int:
    """A form id the body parser already accepted: a number (its fraction cut off, as
    Jackson does) or a string of digits."""
    return int(value) if isinstance(value, int | float) else int(str(value))


def _is_sub_collection(given: list[int], known: list[int]) -> bool:
    """``CollectionUtils.isSubCollection``: every id given, counted with repeats, is known."""
    remaining = list(known)
    for item in given:
        if item not in remaining:
            return False
        remaining.remove(item)
    return True


def _sql_like(needle: str, text: str) -> bool:
    """``like '%needle%'`` under a case-insensitive collation (MySQL's default)."""
    return needle.lower() in text.lower()


__all__ = ["FormService", "RADIO_PREFIX", "SYSTEM_FORMS"]

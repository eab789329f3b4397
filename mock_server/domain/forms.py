"""The forms the fake knows. RSpace ships "Basic Document" (one text field named "Data"); the
API creates documents on it when no form is given."""

from __future__ import annotations

import re

from .errors import IllegalArgument
from .models import Form, FormField

BASIC_DOCUMENT = Form(
    id=3,
    name="Basic Document",
    stable_id="SD3-basic-document",
    version=0,
    fields=(FormField(name="Data", type="text"),),
)

_FORMS = {BASIC_DOCUMENT.id: BASIC_DOCUMENT}

#: ``ApiAbstractFormInfo``: a form (``FM``) or template (``IT``) global id, the whole string.
FORM_GLOBAL_ID = re.compile(r"(IT\d+)|(FM\d+)")


def known_forms() -> tuple[Form, ...]:
    """Every form a document can be created on (the published schema is built from these)."""
    return tuple(_FORMS.values())


def form_by_id(form_id: int) -> Form:
    return _FORMS[form_id]


def _as_long(value: object) -> int:
    """A form id the body parser already accepted: a number (its fraction cut off, as
    Jackson does) or a string of digits."""
    return int(value) if isinstance(value, int | float) else int(str(value))


def all_forms() -> tuple[Form, ...]:
    return tuple(_FORMS.values())


def resolve_form(reference: object) -> Form:
    """The form a request body names with ``{"id": n}`` or ``{"globalId": "FMn"}``
    (``retrieveFormIdFromApiForm``): neither means Basic Document; a globalId must be
    well-formed and wins, and an id given with it must agree."""
    if reference is None:
        return BASIC_DOCUMENT
    if not isinstance(reference, dict):
        raise IllegalArgument("form must be an object with an id or a globalId")
    form_id: object = reference.get("id")
    global_id = reference.get("globalId")
    if form_id is None and global_id is None:
        return BASIC_DOCUMENT
    if global_id is not None:
        if not isinstance(global_id, str) or not FORM_GLOBAL_ID.fullmatch(global_id):
            raise IllegalArgument(f"Wrong format of provided form.globalId [{global_id}]")
        number = int(global_id[2:])
        if form_id is not None and _as_long(form_id) != number:
            raise IllegalArgument(f"form.id [{form_id}] doesn't match form.globalId [{global_id}]")
        form_id = number
    number = _as_long(form_id)
    if number not in _FORMS:
        raise IllegalArgument(
            f"Form with id [{number}] could not be retrieved - possibly it has been deleted, "
            "does not exist, or you do not have permission to access it."
        )
    return _FORMS[number]

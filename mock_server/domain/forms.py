"""The forms the fake knows. RSpace ships "Basic Document" (one text field named "Data"); the
API creates documents on it when no form is given."""

from __future__ import annotations

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


def form_by_id(form_id: int) -> Form:
    return _FORMS[form_id]


def all_forms() -> tuple[Form, ...]:
    return tuple(_FORMS.values())


def resolve_form(reference: object) -> Form:
    """The form a request body names with ``{"id": n}`` or ``{"globalId": "FMn"}``."""
    if reference is None:
        return BASIC_DOCUMENT
    if not isinstance(reference, dict):
        raise IllegalArgument("form must be an object with an id or a globalId")
    form_id: object = reference.get("id")
    global_id = reference.get("globalId")
    if form_id is None and isinstance(global_id, str) and global_id.startswith("FM"):
        form_id = global_id[2:]
    if form_id is None:
        return BASIC_DOCUMENT
    try:
        number = int(str(form_id))
    except ValueError:
        raise IllegalArgument(f"Form with id {form_id} not found") from None
    if number not in _FORMS:
        raise IllegalArgument(f"Form with id {number} not found")
    return _FORMS[number]

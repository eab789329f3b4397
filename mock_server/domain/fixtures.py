"""Seed data: one JSON file of users, OAuth apps, groups, forms, folders and notebooks, Gallery
files and documents (camelCase, like RSpace's API), made in that order.

A group has a ``name``, a ``type`` (``LAB_GROUP`` unless told, ``COLLABORATION_GROUP`` or
``PROJECT_GROUP``), its ``pi`` (a user with ``piRole``), ``members``, ``labAdmins`` (who see all
the lab's work with ``labAdminsViewAll``) and, for a project group, its ``owners``.

A form is a form body as ``POST /api/v1/forms`` takes it, with its ``owner``, its ``state``
(``PUBLISHED`` unless told) and whether it is ``shared`` with the owner's groups. A document
names the form it is made from by name (``"form": "Experiment"``: a form of the file, else one
RSpace ships), and gives one ``fields`` entry per form field.

Places are paths from the owner's home folder, as RSpace shows them: ``Projects/PCR`` (a folder
or notebook in the workspace), ``Gallery/Images/microscopy`` (a folder in the Gallery). A
``folders`` entry makes each missing folder on its path (the last one a notebook with
``notebook: true``); a file goes into its ``folder`` (default: its section's Api Inbox); a
document goes into its ``folder`` (default: the Api Inbox). A document's field content may name a
file of the fixtures by its ``ref`` (default: its name) in a marker, ``<fileId=gel.png>``; it
becomes the file's id, and then the attachment HTML any ``<fileId=N>`` becomes.

A snippet has an ``owner``, a ``name`` and its ``content`` (HTML); it goes into the owner's
``Gallery/Snippets``.

A bad file stops the start with one message naming the file, the entry and the problem.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..clock import ClockRangeError, in_clock_range
from .directory import CreatedApp, Directory, NewUser
from .documents import DocumentService
from .errors import ApiProblem
from .files import FileService, Upload
from .folders import FolderService
from .forms import SYSTEM_OWNER_ID, FormService
from .groups import GROUP_OWNER, GroupService, NewGroup, NewMember
from .models import Folder, Form, User
from .permissions import LAB_ADMIN, LAB_GROUP, PI
from .snippets import SnippetService
from .text import json_value_problem

USER_KEYS = {
    "username",
    "password",
    "apiKey",
    "email",
    "firstName",
    "lastName",
    "accountLocked",
    "apiAccess",
    "piRole",
    "sysadminRole",
    "created",
    "tempAccount",
}
APP_KEYS = {"name", "owner", "clientId", "clientSecret"}
DOCUMENT_KEYS = {"owner", "name", "tags", "fields", "created", "lastModified", "folder", "form"}
FORM_KEYS = {"owner", "name", "tags", "fields", "state", "shared"}
#: What a fixture form may be left as (a new form is NEW; a fixture's is PUBLISHED unless told).
FORM_STATES = ("NEW", "PUBLISHED", "UNPUBLISHED")
FOLDER_KEYS = {"owner", "path", "notebook"}
FILE_KEYS = {"owner", "name", "folder", "caption", "text", "base64", "path", "ref"}
GROUP_KEYS = {"name", "type", "pi", "members", "labAdmins", "labAdminsViewAll", "owners"}
SNIPPET_KEYS = {"owner", "name", "content"}
SECTIONS = ("users", "apps", "groups", "forms", "folders", "files", "snippets", "documents")
#: ``<fileId=REF>`` where REF is not a number: a file of the fixtures.
_FILE_REF = re.compile(r"<fileId=([^>]*[^>\d][^>]*)>")


class FixtureError(Exception):
    """A fixture file that cannot be loaded; the message says where and why."""


@dataclass
class SeedReport:
    """What a fixture load made; generated secrets are listed so they can be shown once."""

    users: int = 0
    groups: int = 0
    forms: int = 0
    documents: int = 0
    folders: int = 0
    files: int = 0
    snippets: int = 0
    apps: list[CreatedApp] = field(default_factory=list)
    generated_credentials: list[CreatedApp] = field(default_factory=list)


def new_user_from_entry(entry: Mapping[str, Any], where: str = "user") -> NewUser:
    """A user entry of the fixture format (camelCase keys, already checked) as a NewUser."""
    return NewUser(
        created=_timestamp(dict(entry), "created", where),
        temp_account=bool(entry.get("tempAccount", False)),
        username=entry["username"],
        password=entry["password"],
        api_key=entry.get("apiKey"),
        email=entry.get("email"),
        first_name=entry.get("firstName"),
        last_name=entry.get("lastName"),
        account_locked=bool(entry.get("accountLocked", False)),
        api_access=bool(entry.get("apiAccess", True)),
        has_pi_role=bool(entry.get("piRole", False)),
        has_sysadmin_role=bool(entry.get("sysadminRole", False)),
    )


def new_group_from_entry(entry: Any, where: str) -> NewGroup:
    """A group entry of the fixture format (``name``, ``type``, ``pi``, ``members``,
    ``labAdmins``, ``labAdminsViewAll``, ``owners``) as a NewGroup."""
    _check_keys(entry, GROUP_KEYS, {"name"}, where)
    _optional(entry, "type", str, where)
    _optional(entry, "pi", str, where)
    _optional(entry, "labAdminsViewAll", bool, where)
    lists = {}
    for key in ("members", "labAdmins", "owners"):
        value = _optional(entry, key, list, where) or []
        if not all(isinstance(v, str) and v for v in value):
            raise FixtureError(f"{where}: '{key}' must be a list of usernames")
        lists[key] = value
    view_all = bool(entry.get("labAdminsViewAll", False))
    members: list[NewMember] = []
    if entry.get("pi"):
        members.append(NewMember(entry["pi"], PI))
    members += [NewMember(u, LAB_ADMIN, view_all=view_all) for u in lists["labAdmins"]]
    members += [NewMember(u, GROUP_OWNER) for u in lists["owners"]]
    members += [NewMember(u) for u in lists["members"]]
    return NewGroup(entry["name"], members, entry.get("type") or LAB_GROUP)


def read_fixture_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FixtureError(f"{path}: cannot read the fixture file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise FixtureError(
            f"{path}: not UTF-8 text: byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FixtureError(
            f"{path}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, dict):
        raise FixtureError(f"{path}: the top level must be an object with users, apps, documents")
    return data


def _where(source: str, section: str, index: int, entry: Any) -> str:
    label = ""
    if isinstance(entry, dict):
        label = entry.get("username") or entry.get("name") or ""
    return f"{source}: {section}[{index}]" + (f" ({label!r})" if label else "")


def _check_keys(entry: Any, allowed: set[str], required: set[str], where: str) -> None:
    if not isinstance(entry, dict):
        raise FixtureError(f"{where}: must be an object")
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise FixtureError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    for key in sorted(required):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise FixtureError(f"{where}: '{key}' is required and must be a non-empty string")


def _optional(entry: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = entry.get(key)
    if value is not None and not isinstance(value, kind):
        raise FixtureError(f"{where}: '{key}' must be a {kind.__name__}")
    return value


def _timestamp(entry: dict[str, Any], key: str, where: str) -> datetime | None:
    value = _optional(entry, key, str, where)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FixtureError(
            f"{where}: '{key}' must be an ISO-8601 time like 2026-01-31T09:30:00.000Z"
        ) from None
    if moment.tzinfo is None:
        raise FixtureError(f"{where}: '{key}' needs a time zone (end it with Z)")
    try:
        # The clock's range: a time outside it may not even have a UTC form to render.
        return in_clock_range(moment)
    except ClockRangeError as exc:
        raise FixtureError(f"{where}: '{key}' {exc}") from None


def seed(
    data: dict[str, Any],
    directory: Directory,
    documents: DocumentService,
    source: str = "fixtures",
    *,
    files: FileService | None = None,
    groups: GroupService | None = None,
    snippets: SnippetService | None = None,
    base: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> SeedReport:
    """Create everything ``data`` describes. Raises :class:`FixtureError` at the first problem.

    ``base`` is where a file entry's ``path`` is found (the fixture file's folder);
    ``progress`` is told the number of documents made so far after each one."""
    unknown = sorted(set(data) - set(SECTIONS))
    if unknown:
        raise FixtureError(
            f"{source}: unknown top-level key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(SECTIONS)}"
        )
    # JSON can spell strings no response can carry (a "\ud800" escape) and, in Python,
    # NaN: refused here for a file and for the admin API alike, before anything is created.
    problem = json_value_problem(data, allow_non_finite=False)
    if problem is not None:
        raise FixtureError(f"{source}: {problem}")
    report = SeedReport()
    sections = {}
    for section in SECTIONS:
        entries = data.get(section, [])
        if not isinstance(entries, list):
            raise FixtureError(f"{source}: '{section}' must be a list")
        sections[section] = entries
    if (sections["folders"] or sections["files"]) and files is None:
        raise FixtureError(f"{source}: folders and files need the file service")

    for index, entry in enumerate(sections["users"]):
        where = _where(source, "users", index, entry)
        _check_keys(entry, USER_KEYS, {"username", "password"}, where)
        for key in ("apiKey", "email", "firstName", "lastName"):
            _optional(entry, key, str, where)
        for key in ("accountLocked", "apiAccess", "piRole", "sysadminRole", "tempAccount"):
            _optional(entry, key, bool, where)
        new_user = new_user_from_entry(entry, where)
        try:
            directory.create_user(new_user)
        except ApiProblem as exc:
            raise FixtureError(f"{where}: {explain(exc)}") from None
        report.users += 1

    for index, entry in enumerate(sections["apps"]):
        where = _where(source, "apps", index, entry)
        _check_keys(entry, APP_KEYS, {"name", "owner"}, where)
        for key in ("clientId", "clientSecret"):
            _optional(entry, key, str, where)
        try:
            created_app = directory.create_app(
                entry["owner"], entry["name"], entry.get("clientId"), entry.get("clientSecret")
            )
        except ApiProblem as exc:
            raise FixtureError(f"{where}: {explain(exc)}") from None
        report.apps.append(created_app)
        if not entry.get("clientId") or not entry.get("clientSecret"):
            report.generated_credentials.append(created_app)

    if sections["groups"] and groups is None:
        raise FixtureError(f"{source}: groups need the group service")
    for index, entry in enumerate(sections["groups"]):
        where = _where(source, "groups", index, entry)
        new_group = new_group_from_entry(entry, where)
        assert groups is not None
        try:
            groups.create(new_group)
        except ApiProblem as exc:
            raise FixtureError(f"{where}: {explain(exc)}") from None
        report.groups += 1

    forms: dict[str, Form] = {}
    for index, entry in enumerate(sections["forms"]):
        where = _where(source, "forms", index, entry)
        _check_keys(entry, FORM_KEYS, {"owner", "name"}, where)
        form = make_form(documents.forms, _owner(directory, entry, where), entry, where)
        forms[form.name] = form
        report.forms += 1

    refs: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(sections["folders"]):
        where = _where(source, "folders", index, entry)
        _check_keys(entry, FOLDER_KEYS, {"owner", "path"}, where)
        notebook = bool(_optional(entry, "notebook", bool, where))
        assert files is not None
        owner = _owner(directory, entry, where)
        try:
            make_path(files.folders, owner, entry["path"], notebook=notebook)
        except FixtureError as exc:
            raise FixtureError(f"{where}: {exc}") from None
        except ApiProblem as exc:
            raise FixtureError(f"{where}: {explain(exc)}") from None
        report.folders += 1

    for index, entry in enumerate(sections["files"]):
        where = _where(source, "files", index, entry)
        _check_keys(entry, FILE_KEYS, {"owner", "name"}, where)
        for key in ("folder", "caption", "text", "base64", "path", "ref"):
            _optional(entry, key, str, where)
        assert files is not None
        owner = _owner(directory, entry, where)
        data_bytes = file_bytes(entry, where, base)
        folder_id = None
        if entry.get("folder"):
            folder_id = _existing(files.folders, owner, entry["folder"], where).id
        try:
            made = files.upload(
                owner, Upload(entry["name"], data_bytes), folder_id, entry.get("caption")
            )
        except ApiProblem as exc:
            raise FixtureError(f"{where}: {explain(exc)}") from None
        refs[(owner.username, entry.get("ref") or entry["name"])] = made.id
        report.files += 1

    if sections["snippets"] and snippets is None:
        raise FixtureError(f"{source}: snippets need the snippet service")
    for index, entry in enumerate(sections["snippets"]):
        where = _where(source, "snippets", index, entry)
        _check_keys(entry, SNIPPET_KEYS, {"owner", "name"}, where)
        content = _optional(entry, "content", str, where) or ""
        assert snippets is not None
        try:
            snippets.create(_owner(directory, entry, where), entry["name"], content)
        except ApiProblem as exc:
            raise FixtureError(f"{where}: {explain(exc)}") from None
        report.snippets += 1

    for index, entry in enumerate(sections["documents"]):
        where = _where(source, "documents", index, entry)
        _check_keys(entry, DOCUMENT_KEYS, {"owner"}, where)
        _optional(entry, "folder", str, where)
        _optional(entry, "form", str, where)
        _optional(entry, "name", str, where)
        _optional(entry, "tags", str, where)
        fields = _optional(entry, "fields", list, where)
        created = _timestamp(entry, "created", where)
        last_modified = _timestamp(entry, "lastModified", where)
        if created and last_modified and last_modified < created:
            raise FixtureError(f"{where}: 'lastModified' is before 'created'")
        body: dict[str, Any] = {k: entry[k] for k in ("name", "tags") if k in entry}
        if fields is not None:
            for field_index, item in enumerate(fields):
                if (
                    not isinstance(item, dict)
                    or set(item) - {"content"}
                    or not isinstance(item.get("content", ""), str)
                ):
                    raise FixtureError(
                        f'{where}: fields[{field_index}] must be an object {{"content": "<html>"}}'
                    )
            body["fields"] = [
                {"content": _with_file_ids(item.get("content", ""), entry["owner"], refs, where)}
                for item in fields
            ]
        if entry.get("form"):
            body["form"] = {"id": _form_named(documents.forms, forms, entry["form"], where).id}
        try:
            owner = directory.user_named(entry["owner"])
            if entry.get("folder"):
                target = _existing(documents.folders, owner, entry["folder"], where)
                body["parentFolderId"] = target.id
            documents.create(owner, body, created=created, last_modified=last_modified)
        except ApiProblem as exc:
            raise FixtureError(f"{where}: {explain(exc)}") from None
        report.documents += 1
        if progress is not None:
            progress(report.documents)
    return report


def make_form(forms: FormService, owner: User, entry: Any, where: str) -> Form:
    """A form of the fixtures (or of the admin API): made as ``POST /api/v1/forms`` makes it,
    then published and shared as the entry says."""
    _check_keys(entry, FORM_KEYS, {"owner", "name"}, where)
    state = _optional(entry, "state", str, where) or "PUBLISHED"
    if state not in FORM_STATES:
        raise FixtureError(f"{where}: 'state' must be one of {', '.join(FORM_STATES)}")
    shared = bool(_optional(entry, "shared", bool, where))
    body = {k: entry[k] for k in ("name", "tags", "fields") if k in entry}
    try:
        form = forms.create(owner, body)
        if state != "NEW":
            form = forms.publish(owner, form.id, True)
        if state == "UNPUBLISHED":
            form = forms.publish(owner, form.id, False)
        if shared:
            form = forms.share(owner, form.id, group=True)
    except ApiProblem as exc:
        raise FixtureError(f"{where}: {explain(exc)}") from None
    return form


def _form_named(forms: FormService, made: Mapping[str, Form], name: str, where: str) -> Form:
    """A form of the fixtures by name, else the current form RSpace ships with that name."""
    if name in made:
        return made[name]
    for form in forms.all_forms().values():
        if form.current and form.owner_id == SYSTEM_OWNER_ID and form.name == name:
            return form
    raise FixtureError(f"{where}: no form named {name!r} (in the fixtures or shipped by RSpace)")


def _owner(directory: Directory, entry: Mapping[str, Any], where: str) -> User:
    try:
        return directory.user_named(entry["owner"])
    except ApiProblem as exc:
        raise FixtureError(f"{where}: {explain(exc)}") from None


def _parts(path: str) -> list[str]:
    return [part for part in path.strip().strip("/").split("/") if part.strip()]


def find_path(folders: FolderService, owner: User, path: str) -> Folder | None:
    """The live folder or notebook at ``path`` from the owner's home folder, if there is one."""
    current = folders.folders.get(owner.home_folder_id)
    for part in _parts(path):
        if current is None:
            return None
        current = next(
            (
                child
                for child in folders.folders.select(parent_id=current.id)
                if child.name == part and not child.deleted
            ),
            None,
        )
    return current


def make_path(folders: FolderService, owner: User, path: str, *, notebook: bool) -> Folder:
    """The folder (or, last, notebook) at ``path``, each missing one made by RSpace's rules."""
    parts = _parts(path)
    if not parts:
        raise FixtureError("'path' must name a folder below the home folder, like Projects/PCR")
    current = folders.get(owner, owner.home_folder_id)
    for index, part in enumerate(parts):
        existing = find_path(folders, owner, "/".join(parts[: index + 1]))
        last = index == len(parts) - 1
        if existing is not None and not (last and existing.notebook != notebook):
            current = existing
            continue
        current = folders.create(
            owner, {"name": part, "parentFolderId": current.id, "notebook": last and notebook}
        )
    return current


def _existing(folders: FolderService, owner: User, path: str, where: str) -> Folder:
    found = find_path(folders, owner, path)
    if found is None:
        raise FixtureError(
            f"{where}: no folder {path!r} of {owner.username}; declare it under 'folders'"
        )
    return found


def file_bytes(entry: Mapping[str, Any], where: str, base: Path | None) -> bytes:
    """A file entry's bytes: exactly one of ``text``, ``base64`` or ``path``."""
    given = [key for key in ("text", "base64", "path") if entry.get(key) is not None]
    if len(given) != 1:
        raise FixtureError(f"{where}: give the file's bytes as exactly one of text, base64, path")
    key = given[0]
    if key == "text":
        return str(entry["text"]).encode("utf-8")
    if key == "base64":
        try:
            return base64.b64decode(entry["base64"], validate=True)
        except (binascii.Error, ValueError):
            raise FixtureError(f"{where}: 'base64' is not valid base64") from None
    location = Path(entry["path"])
    if not location.is_absolute():
        location = (base or Path.cwd()) / location
    try:
        return location.read_bytes()
    except OSError as exc:
        raise FixtureError(f"{where}: cannot read {location}: {exc.strerror}") from None


def _with_file_ids(
    content: str, owner: str, refs: Mapping[tuple[str, str], int], where: str
) -> str:
    def replace(match: re.Match[str]) -> str:
        ref = match.group(1)
        file_id = refs.get((owner, ref))
        if file_id is None:
            raise FixtureError(f"{where}: no file {ref!r} of {owner} in the fixtures' files")
        return f"<fileId={file_id}>"

    return _FILE_REF.sub(replace, content)


def explain(problem: ApiProblem) -> str:
    """A problem's message, with its field errors when the message only counts them."""
    if problem.message.startswith("Errors detected") and any(problem.errors):
        return "; ".join(problem.errors)
    return problem.message

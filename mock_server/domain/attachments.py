"""Links from a text field to files and records: ``<fileId=N>`` and ``<docId=N>`` markers.

RSpace's rules (rspace-web ``ApiFieldsHelper``, the ``textFieldElements`` Velocity templates and
``RichTextUpdater``; ``FieldParserImpl`` and ``FieldLinksEntitySyncImpl`` for what a field lists).
When an API call saves a text field, every marker (either spelling: the id alone decides what it
becomes) is replaced by the HTML RSpace's editor makes for the record it names: an image, a file
attachment, a chemistry structure, or a link to a document, folder or notebook. The markers are
checked before anything is saved. A field's ``files`` are the Gallery files its HTML shows, read
from the HTML as RSpace's field parser reads it; a link to a record is not one.

The HTML is then cleaned as any field content is (``html_content``). Like RSpace, the values go in
without HTML escaping, and a ``$`` or ``\\`` in a name comes out escaped with a backslash (RSpace
passes the HTML through ``Matcher.quoteReplacement`` and then inserts it literally).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .errors import AuthenticationFailed, IllegalArgument
from .files import SECTIONS, display_size, file_extension, readable_by, record_extension
from .folders import unauthorised
from .kinds import DOCUMENTS, FOLDERS, MEDIA_FILES
from .models import Document, Folder, MediaFile, User
from .paging import epoch_millis
from .store import Store

MARKER = re.compile(r"<(?:fileId|docId)=(\d+)>")
_MAX_LONG = 2**63 - 1

#: ``MediaUtils.isDocumentFile``: these attach as ``Documents``, the rest as ``Miscellaneous``.
_DOCUMENT_EXTENSIONS = SECTIONS["Documents"]
_CHEMISTRY_EXTENSIONS = SECTIONS["Chemistry"]
_DNA_EXTENSIONS = frozenset(["fa", "gb", "fasta", "dna", "seq", "sbd", "embl", "gbk", "ab1"])
#: ``RichTextUpdater.getIconPathForExtension``: the extensions with an icon of their own name.
_OWN_ICONS = frozenset(
    [
        "avi",
        "bmp",
        "doc",
        "docx",
        "flv",
        "gif",
        "jpg",
        "jpeg",
        "m4v",
        "mov",
        "mp3",
        "mp4",
        "mpg",
        "ods",
        "odp",
        "csv",
        "pps",
        "odt",
        "pdf",
        "png",
        "rtf",
        "wav",
        "wma",
        "wmv",
        "xls",
        "xlsx",
        "xml",
        "zip",
    ]
)
_SHARED_ICONS = {
    "htm": "html",
    "html": "html",
    "ppt": "powerpoint",
    "pptx": "powerpoint",
    "txt": "txt",
    "text": "txt",
}


@dataclass(frozen=True)
class MarkedField:
    """A text field about to be saved: where it is in the request, for error messages."""

    index: int
    #: The ``id`` and ``name`` the request gave the field, if any.
    given_id: int | None
    given_name: str | None
    content: str

    def describe(self) -> str:
        if self.given_id is not None:
            return f"field with id: {self.given_id}"
        if self.given_name is not None:
            return f'field {self.index + 1} "{self.given_name}"'
        return f"field {self.index + 1}"


def has_markers(content: str | None) -> bool:
    return content is not None and MARKER.search(content) is not None


class Linker:
    """Checks and expands the markers of one caller's fields."""

    def __init__(self, store: Store, user: User) -> None:
        self.store = store
        self.user = user

    def _record(self, record_id: int) -> MediaFile | Document | Folder | None:
        return (
            self.store.collection(MEDIA_FILES).get(record_id)
            or self.store.collection(DOCUMENTS).get(record_id)
            or self.store.collection(FOLDERS).get(record_id)
        )

    def check(self, fields: Iterable[MarkedField]) -> None:
        """``checkPermissionsToTextFieldAttachments``: the first bad marker is the error."""
        for field in fields:
            for match in MARKER.finditer(field.content):
                digits = match.group(1)
                if int(digits) > _MAX_LONG:
                    raise IllegalArgument(f'For input string: "{digits}"')
                record = self._record(int(digits))
                if isinstance(record, Folder):
                    if record.owner_id != self.user.id:
                        raise unauthorised(self.user)
                    if record.deleted:
                        raise AuthenticationFailed(
                            f"Unauthorized attempt by {self.user.username} to open a deleted folder"
                        )
                    continue
                if record is None or record.owner_id != self.user.id or record.deleted:
                    raise IllegalArgument(
                        f"Attachment with fileId={digits} from {field.describe()} cannot be "
                        "accessed"
                    )
                if isinstance(record, MediaFile) and record.api_type == "av":
                    raise IllegalArgument(
                        "Linking to audio/video attachments is not supported in current version "
                        f"of RSpace API (fileId {digits})"
                    )

    def expand(
        self, content: str, field_id: int, now_millis: int, next_chem_id: Callable[[], int]
    ) -> str:
        """Every marker replaced by its record's HTML (all of a marker's occurrences at once)."""
        fragments: dict[str, str] = {}
        for match in MARKER.finditer(content):
            marker = match.group(0)
            if marker in fragments:
                continue
            record = self._record(int(match.group(1)))
            if record is None:
                continue
            html = _fragment(record, field_id, now_millis, next_chem_id)
            fragments[marker] = html.replace("\\", "\\\\").replace("$", "\\$")
        for marker, html in fragments.items():
            content = content.replace(marker, html)
        return content


def _fragment(
    record: MediaFile | Document | Folder,
    field_id: int,
    now_millis: int,
    next_chem_id: Callable[[], int],
) -> str:
    if isinstance(record, MediaFile):
        if record.section == "Images":
            return _image_html(record, field_id)
        if record.section == "Chemistry":
            return _chemistry_html(record, field_id, now_millis, next_chem_id())
        return _attachment_html(record)
    return _link_html(record.id, record.global_id, record.name)


def _image_html(image: MediaFile, field_id: int) -> str:
    """``rawImageLink.vm``, its line breaks made spaces."""
    width, height = display_size(image)
    millis = epoch_millis(image.last_modified)
    html = (
        "\n<p>\n"
        f' <img id="{field_id}-{image.id}" class="imageDropped inlineImageThumbnail"\n'
        f'   src="/thumbnail/data?sourceType=IMAGE&sourceId={image.id}&sourceParentId={field_id}'
        f'&width={width}&height={height}&rotation=0&time={millis}"\n'
        f'   alt="image {image.name}" width="{width}" height="{height}" '
        f'data-size="{width}-{height}" data-rotation="0" />\n'
        "</p>&nbsp;"
    )
    return html.replace("\n", " ")


def icon_path(extension: str) -> str:
    lowered = extension.lower()
    if lowered in _CHEMISTRY_EXTENSIONS:
        return "/images/icons/chemistry-file.png"
    if lowered in _DNA_EXTENSIONS:
        return "/images/icons/dna-file.svg"
    if extension in _OWN_ICONS:
        return f"/images/icons/{extension}.png"
    if extension in _SHARED_ICONS:
        return f"/images/icons/{_SHARED_ICONS[extension]}.png"
    return "/images/icons/unknownDocument.png"


def _attachment_html(file: MediaFile) -> str:
    """``attachmentLink.vm``."""
    extension = record_extension(file.name)
    data_type = "Documents" if extension.lower() in _DOCUMENT_EXTENSIONS else "Miscellaneous"
    return (
        '\n<div class="attachmentDiv mceNonEditable">\n'
        f'\t\t<a href="/Streamfile/{file.id}" target="_blank">\n'
        f'\t\t\t<img class="attachmentIcon" src="{icon_path(extension)}" height="32" '
        'width="32"/>\n'
        "\t\t</a>\n"
        '\t\t<p class="attachmentP">\n'
        f'\t\t\t<a class="attachmentLinked" id="attachOnText_{file.id}" data-type="{data_type}" '
        f'\n\t\t\thref="/Streamfile/{file.id}" target="_blank">{file.name}</a>\n'
        "\t\t</p>\n"
        f'\t\t<div class="attachmentInfoDiv" id="attachmentInfoDiv_{file.id}">\n'
        '\t\t\t<img class="attachmentInfoIcon" src="/images/getInfo12.png"/>\n'
        "\t\t</div>\n"
        "</div>\n"
    )


def _chemistry_html(file: MediaFile, field_id: int, now_millis: int, element_id: int) -> str:
    """``chemElementLink.vm``: the structure a new chemistry element shows."""
    return (
        "\n<p>\n"
        f'<img id="{element_id}" class="chem" src="/thumbnail/data?sourceType=CHEM'
        f"&sourceId={element_id}&sourceParentId={field_id}&width=300&height=300"
        f'&time={now_millis}" \n'
        f'    alt="{file.name}" width="300" height="300" data-fullwidth="1000" '
        f'data-fullheight="1000" data-chemfileid="{file.id}" />\n'
        "</p>&nbsp;\n"
    )


def _link_html(record_id: int, global_id: str, name: str) -> str:
    """``linkedRecordLink.vm``."""
    return (
        f'<a id="{record_id}" data-globalid="{global_id}" class="linkedRecord mceNonEditable" \n'
        f'    href="/globalId/{global_id}" data-name="{name}">{global_id}: {name}</a>\n'
    )


# -- what a field shows --------------------------------------------------------------------------

_TAG = re.compile(r"<(img|a)\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*"([^"]*)"')
_IMAGE_ID = re.compile(r"\d+-(\d+)")
_ATTACHMENT_ID = re.compile(r"attachOnText_(\d+)")


def shown_file_ids(content: str) -> list[int]:
    """The Gallery files a field's HTML shows, in order, once each (``FieldParserImpl``): images
    (``img.imageDropped``), attachments (``a.attachmentLinked``) and chemistry structures
    (``img.chem`` with ``data-chemfileid``)."""
    found: dict[int, None] = {}
    for match in _TAG.finditer(content):
        tag = match.group(1).lower()
        attributes = {name.lower(): value for name, value in _ATTRIBUTE.findall(match.group(2))}
        classes = attributes.get("class", "").split()
        element_id = attributes.get("id", "")
        file_id: str | None = None
        if tag == "img" and "imageDropped" in classes:
            image = _IMAGE_ID.fullmatch(element_id)
            file_id = image.group(1) if image else None
        elif tag == "img" and "chem" in classes:
            chem = attributes.get("data-chemfileid", "")
            file_id = chem if chem.isdigit() else None
        elif tag == "a" and "attachmentLinked" in classes:
            attachment = _ATTACHMENT_ID.fullmatch(element_id)
            file_id = attachment.group(1) if attachment else None
        if file_id is not None and len(file_id) < 19:
            found[int(file_id)] = None
    return list(found)


def readable_files(store: Store, user_id: int, file_ids: Sequence[int]) -> list[int]:
    """Of the ids a field shows, those of files its owner may read (RSpace links no others)."""
    files = store.collection(MEDIA_FILES)
    return [i for i in file_ids if readable_by(files.get(i), user_id)]


__all__ = [
    "MARKER",
    "Linker",
    "MarkedField",
    "file_extension",
    "has_markers",
    "icon_path",
    "readable_files",
    "shown_file_ids",
]

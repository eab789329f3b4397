"""Files in the Gallery: ``/files`` uploads, listings, downloads and replacements.

RSpace's rules (rspace-web ``FilesApiController``, ``FolderManagerImpl.getApiUploadTargetFolder``,
``MediaManagerImpl``, ``EcatMediaFactory``, ``MediaFileContentValidator``,
``InternalFileStoreImpl``; the extension lists of rspace-core-util ``MediaUtils``). A file goes
into the Gallery section its extension names (any other extension, or none, is
``Miscellaneous``): into the given folder if that is the section or below it, else into the
section's ``Api Inbox``. Its bytes are stored per version, apart from the file's record, so a
listing never reads them; a replacement is a new version of the same file.

Simplifications: no thumbnails, no image rotation and no chemistry conversion; an image's size is
read from its header (PNG, GIF, JPEG, BMP, TIFF), as RSpace's image library would read it.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ..clock import Clock
from .errors import (
    ApiProblem,
    FieldError,
    IllegalArgument,
    NotFound,
    ValidationFailed,
    not_found,
)
from .folders import FolderService, unauthorised
from .kinds import DOCUMENTS, FILE_CONTENTS, MEDIA_FILES
from .models import Document, FileContent, Folder, MediaFile, User
from .paging import check_sort, epoch_millis, parse_paging, truncate_to_millis
from .store import Store

#: ``files.maxUploadSize``: RSpace's default cap on a whole upload request, in bytes.
MAX_UPLOAD_BYTES = 52_428_800
#: ``EditInfo.DESCRIPTION_LENGTH``.
MAX_CAPTION_LENGTH = 250
#: ``BaseRecord.DEFAULT_VARCHAR_LENGTH``: names and stored file names.
MAX_NAME_LENGTH = 255

#: The sections and their extensions, in the order ``MediaUtils.extractFileTypeFromPath`` tries
#: them.
SECTION_EXTENSIONS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (section, frozenset(extensions.split()))
    for section, extensions in (
        ("Audios", "mp3 wma aac ogg wav"),
        ("Videos", "mp4 avi flv mpg mpeg 3gp wmv mov hdmov m4v"),
        ("Images", "tif tiff jpeg jpg gif png bmp"),
        ("Documents", "pdf odt ods odp doc rtf txt docx ppt pptx xls xlsx csv pps md"),
        (
            "Chemistry",
            "skc mrv cxsmiles cxsmarts cdx cdxml csrdf cml csmol cssdf csrxn mol mol2 pdb rxn "
            "rdf smiles smarts sdf inchi",
        ),
    )
)
MISCELLANEOUS = "Miscellaneous"
#: Each section's extensions, by section name.
SECTIONS: dict[str, frozenset[str]] = dict(SECTION_EXTENSIONS)
#: The sections a file can be uploaded to (``getApiUploadTargetFolder``).
UPLOAD_SECTIONS = (*(name for name, _ in SECTION_EXTENSIONS), MISCELLANEOUS)

#: ``GET /files?mediaType=``: the ``ApiFileSearchConfig`` pattern, and the file classes each
#: value selects (``WorkspaceFilters.mediaFilesType``).
MEDIA_TYPE_PATTERN = "(image)|(document)|(av)||(chemistry)"
_MEDIA_TYPE_RE = re.compile(MEDIA_TYPE_PATTERN)
_API_TYPES = {"Images": "image", "Audios": "av", "Videos": "av", "Chemistry": "chemistry"}

#: ``MediaUtils.getContentTypeForFileExtension`` for images; everything else as the JDK's
#: ``URLConnection.guessContentTypeFromName`` names it (falling back to that table).
_IMAGE_CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "png": "image/x-png",
}
_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "pps": "application/vnd.ms-powerpoint",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "rtf": "application/rtf",
    "txt": "text/plain",
    "csv": "text/csv",
    "md": "text/markdown",
    "mp3": "audio/mpeg",
    "aac": "audio/aac",
    "ogg": "audio/ogg",
    "wav": "audio/x-wav",
    "wma": "audio/x-ms-wma",
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "hdmov": "video/quicktime",
    "mpg": "video/mpeg",
    "mpeg": "video/mpeg",
    "avi": "application/x-troff-msvideo",
    "wmv": "video/x-ms-wmv",
    "3gp": "video/3gp",
    "flv": "video/x-flv",
    "zip": "application/zip",
    "json": "application/json",
    "html": "text/html",
    "htm": "text/html",
    "xml": "application/xml",
}
OCTET_STREAM = "application/octet-stream"

#: Extension changes a replacement may make (``MediaManagerImpl.updateMediaFile``).
_ALLOWED_UPGRADES = {
    ("doc", "docx"),
    ("csv", "xlsx"),
    ("xls", "xlsx"),
    ("pps", "pptx"),
    ("ppt", "pptx"),
}

#: What Tika names the type an image extension claims, and the leading bytes of each.
_CLAIMED_IMAGE_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "bmp": "image/bmp",
}
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
)
#: ``EcatImage.MAX_PAGE_DISPLAY_WIDTH``: wider images are shown scaled to this width.
MAX_DISPLAY_WIDTH = 644


def file_not_found(file_id: object) -> NotFound:
    return not_found("File", file_id)


class MissingFilePart(ApiProblem):
    """Spring's ``MissingServletRequestPartException``: 400, internalCode 40004."""

    http_status = 400
    internal_code = 40004

    def __init__(self, detail: str = "Required part 'file' is not present.") -> None:
        super().__init__(detail, ["file part is missing"])


class ContentMismatch(ApiProblem):
    """``MediaContentMismatchException``: 422, 42201, with its message code."""

    http_status = 422
    internal_code = 42201

    def __init__(self, file_name: str, expected: str) -> None:
        message = (
            f"File {file_name} was rejected: its content does not match the {expected} type "
            "claimed by its file extension."
        )
        super().__init__(message, [message], message_code="errors.upload.imageContentMismatch")


# -- names, sections and types -------------------------------------------------------------------


def _base_name_of(path: str) -> str:
    """The part after the last ``/`` or ``\\`` (commons-io ``FilenameUtils.getName``)."""
    return re.split(r"[/\\]", path)[-1]


def file_extension(file_name: str) -> str:
    """``FilenameUtils.getExtension``: after the last dot of the name's last part, or ``""``."""
    name = _base_name_of(file_name)
    return name.rsplit(".", 1)[1] if "." in name else ""


def record_extension(file_name: str) -> str:
    """``MediaUtils.getExtension``: after the last dot, or the whole name when there is none."""
    return file_name.rsplit(".", 1)[1] if "." in file_name else file_name


def section_for(file_name: str) -> str:
    """The Gallery section a file of this name goes into."""
    extension = file_extension(file_name).lower()
    for section, extensions in SECTION_EXTENSIONS:
        if extension in extensions:
            return section
    return MISCELLANEOUS


def api_type_of(section: str) -> str:
    return _API_TYPES.get(section, "document")


def content_type_for(file_name: str, section: str) -> str:
    extension = file_extension(file_name).lower()
    if section == "Images":
        return _IMAGE_CONTENT_TYPES.get(extension, OCTET_STREAM)
    return _CONTENT_TYPES.get(extension, OCTET_STREAM)


def stored_name(file_name: str, millis: int) -> str:
    """``makeUniqueFileNameForFileProperty``: ``<base>_<millis>.<ext>``, within 255 characters."""
    name = _base_name_of(file_name)
    extension = file_extension(file_name)
    base = name[: len(name) - len(extension) - 1] if extension else name
    if not extension and name.endswith("."):
        base = name[:-1]
    suffix = f"_{millis}.{extension}"
    if len(base) + len(suffix) > MAX_NAME_LENGTH:
        if len(extension) > 20:
            suffix = suffix[: MAX_NAME_LENGTH - len(base)]
        else:
            keep = MAX_NAME_LENGTH - len(suffix) - 3
            base = base[: max(keep, 0)] + "..."
    return base + suffix


def check_image_content(file_name: str, data: bytes) -> None:
    """``MediaFileContentValidator``: an image extension's claim checked against the bytes."""
    claimed = _CLAIMED_IMAGE_TYPES.get(file_extension(file_name).lower())
    if claimed is None:
        return
    detected = next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)
    if detected != claimed:
        raise ContentMismatch(file_name, claimed)


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height from an image's header; ``(0, 0)`` when it cannot be read."""
    try:
        if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return width, height
        if data[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", data[6:10])
            return width, height
        if data.startswith(b"BM"):
            width, height = struct.unpack("<ii", data[18:26])
            return abs(width), abs(height)
        if data.startswith(b"\xff\xd8"):
            return _jpeg_size(data)
        if data[:4] in (b"II*\x00", b"MM\x00*"):
            return _tiff_size(data)
    except struct.error:
        pass
    return 0, 0


def _jpeg_size(data: bytes) -> tuple[int, int]:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            index += 1 if marker == 0xFF else 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + length
    return 0, 0


def _tiff_size(data: bytes) -> tuple[int, int]:
    order = "<" if data[:2] == b"II" else ">"
    (offset,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[offset : offset + 2])
    width = height = 0
    for entry in range(count):
        start = offset + 2 + entry * 12
        tag, kind = struct.unpack(order + "HH", data[start : start + 4])
        if kind == 3:
            (value,) = struct.unpack(order + "H", data[start + 8 : start + 10])
        else:
            (value,) = struct.unpack(order + "I", data[start + 8 : start + 12])
        if tag == 256:
            width = value
        elif tag == 257:
            height = value
    return width, height


def readable_by(file: MediaFile | None, user_id: int) -> bool:
    """A live file of the user's own."""
    return file is not None and not file.deleted and file.owner_id == user_id


def display_size(file: MediaFile) -> tuple[int, int]:
    """``widthResized`` and ``heightResized``: an image as a page shows it, at most 644 wide."""
    if file.width <= MAX_DISPLAY_WIDTH or file.width == 0:
        return file.width, file.height
    return MAX_DISPLAY_WIDTH, round(file.height * MAX_DISPLAY_WIDTH / file.width)


def _record_name(file_name: str) -> str:
    """``EditInfo.setName``: without newlines; an empty one is refused."""
    name = file_name.replace("\n", "")
    if not name.strip():
        raise IllegalArgument(f"Can't give record an empty name [{name}]")
    return name[:MAX_NAME_LENGTH]


# -- listings --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileListing:
    total: int
    page_number: int
    page_size: int
    order_by: str
    #: The ``mediaType`` asked for (``None``: every file).
    media_type: str | None
    files: list[MediaFile]


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the API received it."""

    file_name: str
    data: bytes


class FileService:
    def __init__(self, store: Store, clock: Clock, folders: FolderService) -> None:
        self.store = store
        self.clock = clock
        self.folders = folders
        #: Who reads a document that shows another user's file.
        self.permissions = folders.permissions
        self.files = store.collection(MEDIA_FILES)
        self.contents = store.collection(FILE_CONTENTS)

    def now(self) -> datetime:
        return truncate_to_millis(self.clock.now())

    # -- reading ---------------------------------------------------------------------------------

    def get(self, user: User, file_id: int) -> MediaFile:
        """A file the caller may read (their own, or one a document they may read shows; any,
        for a sysadmin): 404 for any other id."""
        file = self.files.get(file_id)
        if file is None or file.deleted:
            raise file_not_found(file_id)
        if not (readable_by(file, user.id) or self._shown_to(user, file)):
            raise file_not_found(file_id)
        return file

    def _own(self, user: User, file_id: int) -> MediaFile:
        """A file of the caller's own (only its owner replaces it)."""
        file = self.files.get(file_id)
        if file is None or not readable_by(file, user.id):
            raise file_not_found(file_id)
        return file

    def _shown_to(self, user: User, file: MediaFile) -> bool:
        if user.has_sysadmin_role:
            return True
        # A field shows only its owner's files (``readable_files``): the owner's documents.
        for document in self.store.collection(DOCUMENTS).select(owner_id=file.owner_id):
            shows = any(file.id in field.file_ids for field in document.fields)
            if shows and self.permissions.of_document(user, document).read:
                return True
        return False

    def content(self, user: User, file_id: int) -> tuple[MediaFile, bytes]:
        file = self.get(user, file_id)
        stored = self.contents.get(file.id, file.version)
        return file, stored.data if stored is not None else b""

    def shown_by(self, document: Document) -> dict[int, MediaFile]:
        """The live files a document's fields show, by id."""
        shown: dict[int, MediaFile] = {}
        for field in document.fields:
            for file_id in field.file_ids:
                file = self.files.get(file_id)
                if file is not None and not file.deleted:
                    shown[file_id] = file
        return shown

    def list(self, user: User, params: Mapping[str, str]) -> FileListing:
        """``GET /files``: a page of the caller's own files, of one class or of all."""
        errors: list[FieldError] = []
        page_number, page_size, order_by = parse_paging(params, errors)
        media_type = params.get("mediaType")
        if media_type is not None and not _MEDIA_TYPE_RE.fullmatch(media_type):
            errors.append(
                FieldError(
                    "mediaType",
                    media_type,
                    f'must match "{MEDIA_TYPE_PATTERN}"',
                    "apiFileSearchConfig",
                )
            )
        if errors:
            raise ValidationFailed(errors)
        check_sort(order_by)
        if media_type == "":
            return FileListing(0, page_number, page_size, order_by, media_type, [])
        field, direction = order_by.split(" ")
        where = {"api_type": media_type} if media_type else None
        total, files = self.files.page(
            user.id,
            field,
            ascending=direction == "asc",
            offset=page_number * page_size,
            limit=page_size,
            where=where,
        )
        return FileListing(total, page_number, page_size, order_by, media_type, files)

    # -- writing ---------------------------------------------------------------------------------

    def upload(
        self, user: User, upload: Upload, folder_id: int | None, caption: str | None
    ) -> MediaFile:
        """``POST /files``: a new file in the Gallery, checks in RSpace's order."""
        caption = (caption or "").strip()
        if len(caption) > MAX_CAPTION_LENGTH:
            raise IllegalArgument(
                f"caption cannot be greater than {MAX_CAPTION_LENGTH} characters."
            )
        section = section_for(upload.file_name)
        with self.store.transaction():
            target = self.upload_target(user, section, folder_id)
            check_image_content(upload.file_name, upload.data)
            name = _record_name(upload.file_name)
            now = self.now()
            width, height = image_size(upload.data) if section == "Images" else (0, 0)
            file = MediaFile(
                id=self.store.next_id("record"),
                owner_id=user.id,
                name=name,
                section=section,
                api_type=api_type_of(section),
                content_type=content_type_for(upload.file_name, section),
                size=len(upload.data),
                version=1,
                created=now,
                last_modified=now,
                parent_folder_id=target.id,
                stored_name=stored_name(upload.file_name, epoch_millis(now)),
                caption=caption or None,
                width=width,
                height=height,
            )
            self.files.insert(file)
            self.contents.insert(FileContent(file_id=file.id, version=1, data=upload.data))
            return file

    def replace(self, user: User, file_id: int, upload: Upload) -> MediaFile:
        """``POST /files/{id}/file``: a new version of the file, same id, name from the upload."""
        with self.store.transaction():
            file = self._own(user, file_id)
            old = record_extension(file.name)
            new = record_extension(upload.file_name)
            if old.lower() != new.lower() and (old.lower(), new.lower()) not in _ALLOWED_UPGRADES:
                raise IllegalArgument(f"Cannot update .{old} file with .{new}")
            check_image_content(upload.file_name, upload.data)
            name = _record_name(upload.file_name)
            now = self.now()
            file.name = name
            file.version += 1
            file.size = len(upload.data)
            file.last_modified = now
            file.stored_name = stored_name(upload.file_name, epoch_millis(now))
            if file.section == "Images":
                file.width, file.height = image_size(upload.data)
            self.files.put(file)
            self.contents.put(FileContent(file_id=file.id, version=file.version, data=upload.data))
            return file

    # -- where an upload goes ----------------------------------------------------------------

    def upload_target(self, user: User, section: str, folder_id: int | None) -> Folder:
        """``getApiUploadTargetFolder``: the given folder if it is the section's folder or below
        it, else the section's Api Inbox."""
        if folder_id is None:
            return self.folders.gallery_inbox(user, section)
        folder = self.folders.folders.get(folder_id)
        if folder is None or folder.owner_id != user.id:
            raise unauthorised(user)
        current: Folder | None = folder
        while current is not None:
            if current.system and current.name == section and not current.has_type("ROOT"):
                return folder
            current = self.folders.parent_of(current)
        raise IllegalArgument(
            f"Target folder (id={folder.id}) must be either Gallery folder {section} or a "
            f"subfolder of {section}"
        )

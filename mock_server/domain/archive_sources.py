"""What goes into an export: the documents (with their forms and the files they show) and the
folders of some users' work, or of a selection the exporter may read."""

from __future__ import annotations

from collections.abc import Iterable

from .export_archive import ExportedDocument
from .kinds import DOCUMENTS, FILE_CONTENTS, FOLDERS, FORMS, MEDIA_FILES, USERS
from .models import Document, Folder, MediaFile, User
from .permissions import Permissions
from .store import Store

#: How deep a selected folder is followed (a tree deeper than this is not RSpace's).
MAX_DEPTH = 1000


class ArchiveSources:
    def __init__(self, store: Store, permissions: Permissions) -> None:
        self.store = store
        self.permissions = permissions
        self.documents = store.collection(DOCUMENTS)
        self.folders = store.collection(FOLDERS)

    def any_exist(self, ids: Iterable[int]) -> bool:
        """Whether any id names a live document, folder, notebook or Gallery file."""
        files = self.store.collection(MEDIA_FILES)
        for item_id in ids:
            for record in (
                self.documents.get(item_id),
                self.folders.get(item_id),
                files.get(item_id),
            ):
                if record is not None and not record.deleted:
                    return True
        return False

    def name_of(self, item_id: int) -> str | None:
        record = self.documents.get(item_id) or self.folders.get(item_id)
        return record.name if record is not None else None

    def gather(
        self, user: User, owners: list[int], selection: list[int] | None
    ) -> tuple[list[ExportedDocument], list[Folder]]:
        documents: dict[int, Document] = {}
        folders: dict[int, Folder] = {}
        if selection is None:
            for owner_id in owners:
                for document in self.documents.select(owner_id=owner_id):
                    if not document.deleted:
                        documents[document.id] = document
                for folder in self.folders.select(owner_id=owner_id):
                    if not folder.deleted and not folder.gallery:
                        folders[folder.id] = folder
        else:
            for item_id in selection:
                chosen = self.documents.get(item_id)
                if chosen is not None:
                    if self.permissions.of_document(user, chosen).read:
                        documents[chosen.id] = chosen
                    continue
                place = self.folders.get(item_id)
                if place is not None and not place.deleted and self._may_read(user, place):
                    self._below(user, place, documents, folders)
        ordered = sorted(documents.values(), key=lambda d: d.id)
        return [self._exported(d) for d in ordered], sorted(folders.values(), key=lambda f: f.id)

    def _may_read(self, user: User, folder: Folder) -> bool:
        if folder.owner_id == user.id or user.has_sysadmin_role:
            return True
        if folder.notebook and self.permissions.of_notebook(user, folder).read:
            return True
        return self.permissions.oversees(user.id, folder.owner_id)

    def _below(
        self, user: User, top: Folder, documents: dict[int, Document], folders: dict[int, Folder]
    ) -> None:
        pending = [(top, 0)]
        while pending:
            folder, depth = pending.pop()
            if folder.id in folders or depth > MAX_DEPTH:
                continue
            folders[folder.id] = folder
            for document in self.documents.select(parent_folder_id=folder.id):
                if self.permissions.of_document(user, document).read:
                    documents[document.id] = document
            for child in self.folders.select(parent_id=folder.id):
                if not child.deleted:
                    pending.append((child, depth + 1))

    def _exported(self, document: Document) -> ExportedDocument:
        owner = self.store.collection(USERS).get(document.owner_id)
        assert owner is not None, f"document {document.id} has no owner"
        form = self.store.collection(FORMS).get(document.form_id)
        files: list[tuple[MediaFile, bytes]] = []
        media = self.store.collection(MEDIA_FILES)
        contents = self.store.collection(FILE_CONTENTS)
        seen: set[int] = set()
        for field in document.fields:
            for file_id in field.file_ids:
                file = media.get(file_id)
                if file is None or file.deleted or file_id in seen:
                    continue
                seen.add(file_id)
                stored = contents.get(file.id, file.version)
                files.append((file, stored.data if stored is not None else b""))
        return ExportedDocument(document, owner, form, files)

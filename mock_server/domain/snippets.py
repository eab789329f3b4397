"""Snippets: ``/snippets/{id}`` and ``/snippets/{id}/content``.

RSpace's rules (``SnippetApiController``, ``SnippetServiceImpl``): a snippet its owner, or a
recipient of a share of it, may read; anyone else gets the same 404 as for no snippet at all.
RSpace's API makes no snippets (its editor does); the fake makes them from fixtures and the
admin API, into the Gallery's ``Snippets`` folder.
"""

from __future__ import annotations

from ..clock import Clock
from .errors import IllegalArgument, NotFound, not_found
from .folders import FolderService
from .kinds import SNIPPETS
from .models import Snippet, User
from .paging import truncate_to_millis
from .permissions import Permissions
from .store import Store

MAX_NAME_LENGTH = 255


def snippet_not_found(snippet_id: object) -> NotFound:
    return not_found("Snippet", snippet_id)


class SnippetService:
    def __init__(
        self, store: Store, clock: Clock, folders: FolderService, permissions: Permissions
    ) -> None:
        self.store = store
        self.clock = clock
        self.folders = folders
        self.permissions = permissions
        self.snippets = store.collection(SNIPPETS)

    def create(self, owner: User, name: str, content: str) -> Snippet:
        name = name.strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            raise IllegalArgument(f"A snippet needs a name of 1 to {MAX_NAME_LENGTH} characters")
        with self.store.transaction():
            folder = self.folders.gallery_section(owner, "Snippets")
            now = truncate_to_millis(self.clock.now())
            snippet = Snippet(
                id=self.store.next_id("record"),
                owner_id=owner.id,
                name=name,
                content=content,
                created=now,
                last_modified=now,
                parent_folder_id=folder.id,
            )
            self.snippets.insert(snippet)
            return snippet

    def get(self, user: User, snippet_id: int) -> Snippet:
        snippet = self.snippets.get(snippet_id)
        if snippet is None or not self.permissions.may_read_snippet(user, snippet):
            raise snippet_not_found(snippet_id)
        return snippet

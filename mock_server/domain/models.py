"""The entities the fake RSpace keeps: users, OAuth apps, token rows, forms and documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class User:
    id: int
    username: str
    #: Salted SHA-256 of the password, ``"<salt hex>$<digest hex>"``.
    password_hash: str
    email: str
    first_name: str
    last_name: str
    #: SHA-256 hex of the personal API key, or ``None`` when the user has none.
    api_key_hash: str | None = None
    account_locked: bool = False
    api_access: bool = True
    home_folder_id: int = 0
    #: The "Api Inbox" folder, where documents created through the API land by default.
    api_inbox_folder_id: int = 0
    has_pi_role: bool = False
    has_sysadmin_role: bool = False
    #: A sysadmin's enable/disable (``/sysadmin/users/{id}/enable``); a disabled account is
    #: refused as a locked one is.
    enabled: bool = True
    #: When the account was made (``creationDate``), ``None`` for one made before it was kept.
    created: datetime | None = None
    #: A temporary account (``tempAccount``): RSpace's sign-up trial accounts.
    temp_account: bool = False
    #: When the API key was made (``UserApiKey.created``): "The current key was generated ...".
    api_key_created: datetime | None = None

    @property
    def blocked(self) -> bool:
        """Locked (``accountLocked``) or disabled (not ``enabled``): RSpace refuses both."""
        return self.account_locked or not self.enabled


@dataclass
class WebSession:
    """A signed-in browser (the ``JSESSIONID`` cookie's session): its id is kept hashed."""

    id_hash: str
    user_id: int
    created: datetime
    last_seen: datetime


@dataclass
class LoginFailures:
    """Failed sign-ins of a username since the first of a run (``DefaultLockoutPolicy``)."""

    username: str
    first_failure: datetime
    count: int = 0
    #: The policy locked the account (a lock it also lifts); a sysadmin's lock is not its own.
    locked_by_policy: bool = False


@dataclass
class OAuthApp:
    client_id: str
    name: str
    owner_id: int
    #: SHA-256 hex of the client secret (RSpace stores only this).
    client_secret_hash: str


@dataclass
class TokenRow:
    """RSpace's ``OAuthToken`` row: one per (client id, user) for API-generated tokens.

    A JWT-first grant creates a row with a refresh token only: no access token, no expiry.
    """

    client_id: str
    user_id: int
    refresh_token_hash: str
    access_token_hash: str | None
    expiry: datetime | None
    scope: str = "all"


@dataclass
class FormField:
    """One field definition of a form (RSpace's ``FieldForm``, global id ``FF``): its type and
    the settings of that type. Options are kept encoded as RSpace keeps them
    (``fieldChoices=a&fieldChoices=b``), so that they read back as RSpace reads them."""

    name: str
    #: ``FieldType`` in lower case: ``string``, ``text``, ``number``, ``radio``, ``choice``,
    #: ``date``, ``time``, ``reference``, ``uri`` or ``attachment``.
    type: str
    id: int = 0
    column_index: int = 0
    last_modified: datetime | None = None
    #: String and Text: the default text.
    default_value: str = ""
    #: Number: the bounds, the default and the decimal places allowed (``None``: not set).
    min_number: float | None = None
    max_number: float | None = None
    default_number: float | None = None
    decimal_places: int | None = None
    #: Radio (``fieldRadios=a&...``) and Choice (``fieldChoices=a&...``) options, encoded.
    options: str = ""
    #: Radio: the default option as given; Choice: ``fieldSelectedChoices=a&...``.
    default_option: str | None = None
    multiple_choice: bool = False
    show_as_pick_list: bool = False
    #: Date: epoch milliseconds, 0 when not set.
    min_date: int = 0
    max_date: int = 0
    default_date: int = 0
    #: Time: the default as epoch milliseconds, 0 when not set.
    default_time: int = 0

    @property
    def global_id(self) -> str:
        return f"FF{self.id}"


#: ``FormState``.
FORM_STATES = ("NEW", "PUBLISHED", "UNPUBLISHED", "OLD")


@dataclass
class Form:
    """A form (RSpace's ``RSForm``): the field definitions documents are made from. Each edit of
    a form in use makes a new version (a new id, the same ``stable_id``); the old one is
    ``OLD`` and no longer ``current``."""

    id: int
    name: str
    stable_id: str
    version: int
    fields: list[FormField]
    owner_id: int = 0
    form_state: str = "NEW"
    tags: str | None = None
    icon_id: int = -1
    #: ``AccessControl``: the owner always has WRITE.
    group_permission: str = "NONE"
    world_permission: str = "NONE"
    #: RSpace's ``systemForm`` (Basic Document): it cannot be unpublished or edited.
    system: bool = False
    current: bool = True
    created: datetime | None = None
    last_modified: datetime | None = None

    @property
    def global_id(self) -> str:
        return f"FM{self.id}"


@dataclass
class FormIcon:
    """A form's icon (``IconEntity``): the image as stored, 64 pixels wide."""

    id: int
    form_id: int
    data: bytes
    #: The image format's file extension (``png``, ``jpg``, ...).
    extension: str


@dataclass
class Field:
    id: int
    name: str
    type: str
    content: str
    last_modified: datetime
    column_index: int
    #: The Gallery files the content shows (``FieldAttachment`` rows), in the order it shows
    #: them.
    file_ids: list[int] = field(default_factory=list)

    @property
    def global_id(self) -> str:
        return f"FD{self.id}"


@dataclass
class Document:
    id: int
    owner_id: int
    name: str
    form_id: int
    created: datetime
    last_modified: datetime
    parent_folder_id: int
    grand_parent_id: int | None
    fields: list[Field] = field(default_factory=list)
    tags: str | None = None
    tag_meta_data: str | None = None
    version: int = 1
    signed: bool = False
    deleted: bool = False

    @property
    def global_id(self) -> str:
        return f"SD{self.id}"


#: The record types of shared folders (``RecordType``).
SHARED_FOLDER_TYPES = ("SHARED_FOLDER", "INDIVIDUAL_SHARED_FOLDER_ROOT", "SHARED_GROUP_FOLDER_ROOT")


@dataclass
class Folder:
    """A folder or notebook of RSpace's record tree (``Folder``, ``Notebook``).

    The fake gives each one parent (RSpace's group folders give some several); the home folder
    has none.
    """

    id: int
    owner_id: int
    name: str
    parent_id: int | None
    created: datetime
    last_modified: datetime
    notebook: bool = False
    #: RSpace's ``systemFolder``: made by RSpace for the account (the home folder included).
    system: bool = False
    #: RSpace's record type words after ``FOLDER``/``NOTEBOOK``, colon-joined: ``ROOT``,
    #: ``SYSTEM``, ``SYSTEM:ROOT_MEDIA`` (the Gallery), ``SYSTEM:API_INBOX``, ``SYSTEM:TEMPLATE``.
    types: str = ""
    #: In the Gallery's tree (the Gallery itself included): its global id is ``GF``.
    gallery: bool = False
    #: The Gallery section (a direct child of the Gallery) it is in, or is; ``None`` for the
    #: Gallery itself and for everything outside it.
    media_type: str | None = None
    deleted: bool = False

    @property
    def global_id(self) -> str:
        if self.notebook:
            return f"NB{self.id}"
        return f"{'GF' if self.gallery else 'FL'}{self.id}"

    def has_type(self, word: str) -> bool:
        return word in self.types.split(":")

    @property
    def shared(self) -> bool:
        """``isSharedFolder``: a group's shared folder, a share folder, or one made in them."""
        return any(self.has_type(t) for t in SHARED_FOLDER_TYPES)


@dataclass
class MediaFile:
    """A file in the Gallery (RSpace's ``EcatMediaFile``: ``EcatImage``, ``EcatDocumentFile``,
    ``EcatAudio``, ``EcatVideo``, ``EcatChemistryFile``); its bytes are a :class:`FileContent`
    per version."""

    id: int
    owner_id: int
    #: The name it was uploaded with (the record's name); a replacement renames it.
    name: str
    #: The Gallery section its extension puts it in: ``Images``, ``Audios``, ``Videos``,
    #: ``Documents``, ``Chemistry`` or ``Miscellaneous``.
    section: str
    #: What ``GET /files?mediaType=`` calls its class: ``image``, ``av``, ``document`` or
    #: ``chemistry``.
    api_type: str
    #: Set when the file is made; a replacement keeps it.
    content_type: str
    size: int
    version: int
    created: datetime
    last_modified: datetime
    parent_folder_id: int
    #: The name a download gives it (``<base>_<millis>.<ext>``, as RSpace's file store names it).
    stored_name: str
    caption: str | None = None
    #: Of an image, as read from its header; 0 when it could not be read.
    width: int = 0
    height: int = 0
    deleted: bool = False

    @property
    def global_id(self) -> str:
        return f"GL{self.id}"


@dataclass
class FileContent:
    """The bytes of one version of a :class:`MediaFile`."""

    file_id: int
    version: int
    data: bytes


@dataclass
class SystemSwitches:
    """RSpace system settings a sysadmin can flip, kept with the rest of the state."""

    #: ``api.available``: the global API switch.
    api_enabled: bool = True
    #: ``api.oauth.authentication``: OAuth password/refresh grants and Bearer tokens.
    oauth_enabled: bool = True


@dataclass
class GroupMember:
    """A user's place in a group: ``PI``, ``RS_LAB_ADMIN`` or ``DEFAULT`` (RSpace's
    ``RoleInGroup``); a lab admin may be granted view of all the group's work."""

    user_id: int
    role: str = "DEFAULT"
    view_all: bool = False


@dataclass
class Group:
    """A lab group, collaboration group or project group, with the folder its members share
    into (``<name>_SHARED``) and the one for snippets (``<name>_SHARED_SNIPPETS``)."""

    id: int
    name: str
    unique_name: str
    #: ``LAB_GROUP``, ``COLLABORATION_GROUP`` or ``PROJECT_GROUP``.
    type: str
    members: list[GroupMember]
    shared_folder_id: int = 0
    shared_snippet_folder_id: int = 0

    def member(self, user_id: int) -> GroupMember | None:
        return next((m for m in self.members if m.user_id == user_id), None)

    @property
    def member_ids(self) -> list[int]:
        return [m.user_id for m in self.members]


@dataclass
class Share:
    """RSpace's ``RecordGroupSharing``: one document or notebook shared by its owner with one
    user or one group, for reading or editing."""

    id: int
    item_id: int
    #: The item's owner, who shared it.
    owner_id: int
    #: ``USER`` or ``GROUP``.
    target_type: str
    target_id: int
    #: ``READ`` or ``EDIT``.
    permission: str
    created: datetime
    #: Where the recipients find it: the group's shared folder (or a folder in it), or the
    #: ``<userA>-<userB>`` folder of a share with a user.
    folder_id: int = 0


@dataclass
class Snippet:
    """A snippet (RSpace's ``Snippet``, global id ``ST``): a piece of document content kept
    in the Gallery's ``Snippets`` folder to paste into documents."""

    id: int
    owner_id: int
    name: str
    content: str
    created: datetime
    last_modified: datetime
    parent_folder_id: int
    deleted: bool = False

    @property
    def global_id(self) -> str:
        return f"ST{self.id}"


@dataclass
class AuditEvent:
    """One line of RSpace's audit trail: who did what to what, and when."""

    id: int
    user_id: int
    username: str
    full_name: str
    #: ``AuditDomain``: ``RECORD``, ``FOLDER``, ``NOTEBOOK``, ``GROUP``, ``AUDIT``, ...
    domain: str
    #: ``AuditAction``: ``CREATE``, ``WRITE``, ``RENAME``, ``DELETE``, ``SHARE``, ...
    action: str
    timestamp: datetime
    #: The audited object's properties as RSpace writes them: JSON text.
    payload: str


@dataclass
class ExportJob:
    """An export (RSpace's Spring Batch ``exportDataJob``): it runs from ``started`` to
    ``completes_at`` on the fake's clock; its archive is made when it starts."""

    id: int
    user_id: int
    #: ``html`` or ``xml``.
    export_format: str
    #: ``USER``, ``GROUP`` or ``SELECTION``.
    scope: str
    started: datetime
    completes_at: datetime
    #: The zip's file name (``RSpace-...zip``).
    file_name: str
    size: int
    #: CRC32 of the zip, as a decimal string.
    checksum: str


@dataclass
class ExportArchive:
    """An export's zip, downloadable until it expires."""

    file_name: str
    job_id: int
    data: bytes
    expires: datetime


# -- Inventory -------------------------------------------------------------------------------


@dataclass
class InventoryExtraField:
    """An extra field of an inventory item (``EF<id>``): a name, a type and its content."""

    id: int
    name: str
    type: str
    content: str
    last_modified: datetime
    modified_by: str


@dataclass
class InventorySample:
    """A sample (``SA<id>``): what its subsamples are portions of. Quantities are kept as the
    decimal strings RSpace's BigDecimals print."""

    id: int
    owner_id: int
    name: str
    created: datetime
    last_modified: datetime
    modified_by: str
    description: str | None = None
    tags: list[str] = field(default_factory=list)
    sample_source: str = "LAB_CREATED"
    #: ``yyyy-MM-dd``.
    expiry_date: str | None = None
    storage_temp_min: str | None = None
    storage_temp_min_unit: int | None = None
    storage_temp_max: str | None = None
    storage_temp_max_unit: int | None = None
    extra_fields: list[InventoryExtraField] = field(default_factory=list)
    deleted: bool = False
    deleted_date: datetime | None = None
    version: int = 1


@dataclass
class InventoryNote:
    id: int
    created: datetime
    created_by_id: int
    content: str


@dataclass
class InventorySubSample:
    """A subsample (``SS<id>``): a portion of a sample, kept somewhere (a workbench, a
    container)."""

    id: int
    sample_id: int
    owner_id: int
    name: str
    created: datetime
    last_modified: datetime
    modified_by: str
    quantity: str
    quantity_unit: int
    #: The container (or workbench) it is in; ``None`` once deleted.
    container_id: int | None = None
    location_id: int | None = None
    coord_x: int | None = None
    coord_y: int | None = None
    notes: list[InventoryNote] = field(default_factory=list)
    deleted: bool = False
    deleted_date: datetime | None = None
    deleted_on_sample_deletion: bool = False
    version: int = 1


@dataclass
class InventoryContainer:
    """A container (``IC<id>``) or a user's workbench (``BE<id>``, ``cType`` ``WORKBENCH``)."""

    id: int
    owner_id: int
    name: str
    c_type: str
    created: datetime
    last_modified: datetime
    modified_by: str
    description: str | None = None
    #: Locations handed out so far (a workbench's or list container's next ``coordX``).
    locations_used: int = 0
    deleted: bool = False
    version: int = 1

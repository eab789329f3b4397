"""The audit trail: what RSpace records of each change (``AuditTrailService``), and
``GET /activity`` (``ActivityApiController``, ``AuditTrailHandlerImpl``,
``ApiActivitySrchConfigValidator``, ``BasicLogQuerySearcher`` in rspace-web and rspace-audit).

Through the API RSpace records: a document's creation (CREATE, and WRITE when content came
with it), a rename (RENAME, from and to), a save of content (WRITE), a deletion (DELETE, one
event per record), a move (MOVE, from and to), a share (SHARE, per item), an unshare (UNSHARE,
in the GROUP domain), an export (EXPORT) and a search of the trail itself (SEARCH AUDIT, after
the search). It records no reads, no folder or file creation, no form and no sign-in. Each
event's payload is the record's audit properties (``id`` as a global id, ``name``, ``type``,
``userVersion``), keys in order, as RSpace's audit JSON has them.

A user sees their own activity, a PI their lab groups' members', a sysadmin everyone's; other
``usernames`` are dropped without a word. ``dateFrom`` is moved forward to at most 183 days
before ``dateTo`` (or now), as RSpace moves it, and the links show the moved date.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from ..clock import Clock
from .errors import FieldError, ValidationFailed
from .kinds import AUDIT_EVENTS, USERS
from .models import AuditEvent, Document, Folder, Snippet, User
from .paging import MAX_PAGE_SIZE, truncate_to_millis
from .permissions import LAB_GROUP, PI, Permissions
from .request_params import day_param, int_param
from .store import Store

ACTIONS = (
    "CREATE",
    "DELETE",
    "DOWNLOAD",
    "DUPLICATE",
    "EXPORT",
    "MOVE",
    "READ",
    "RENAME",
    "RESTORE",
    "SEARCH",
    "SHARE",
    "SIGN",
    "TRANSFER",
    "UNSHARE",
    "VIEW",
    "WITNESSED",
    "WRITE",
)
DOMAINS = (
    "MESSAGING",
    "RECORD",
    "FOLDER",
    "NOTEBOOK",
    "MEDIA",
    "USER",
    "GROUP",
    "COMMUNITY",
    "FORM",
    "AUDIT",
    "INV_SAMPLE",
    "INV_SUBSAMPLE",
    "INV_CONTAINER",
    "INV_INSTRUMENT",
    "WORKSPACE",
    "UNKNOWN",
)
ORDERS = ("date desc", "date asc")
#: ``DateRangeRestrictor``: how far back a search may look.
MAX_RANGE = timedelta(days=183)
_OID = re.compile(r"([A-Z][A-Z])(\d+)(v(\d+))?")
#: The global id prefixes RSpace knows (``GlobalIdPrefix``), for ``GlobalIdentifier.isValid``.
_PREFIXES = frozenset(
    {
        "FL",
        "NB",
        "SD",
        "MG",
        "GL",
        "GF",
        "FM",
        "FD",
        "ST",
        "US",
        "GP",
        "CH",
        "IA",
        "FF",
        "CM",
        "CT",
        "TH",
        "MA",
        "NF",
        "SA",
        "SS",
        "SF",
        "EF",
        "IT",
        "IC",
        "BE",
        "IF",
        "LM",
        "BA",
    }
)
_OBJECT = "apiActivitySrchConfig"


def record_data(
    record: Document | Folder | Snippet, *, version: int | None = None, **extra: Any
) -> dict[str, Any]:
    """A record's audit properties (and ``extra``), keys in order as RSpace's ``TreeMap``."""
    data: dict[str, Any] = {"id": record.global_id, "name": record.name, **extra}
    if isinstance(record, Document):
        data["type"] = "NORMAL"
        data["userVersion"] = {"version": str(version or record.version)}
    elif isinstance(record, Snippet):
        data["type"] = "SNIPPET"
    else:
        data["type"] = "NOTEBOOK" if record.notebook else "FOLDER"
    return dict(sorted(data.items()))


def record_domain(record: Document | Folder | Snippet) -> str:
    if not isinstance(record, Folder):
        return "RECORD"
    return "NOTEBOOK" if record.notebook else "FOLDER"


class AuditTrail:
    """Writes events as the fake's rules make changes; the clock gives their times."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self.events = store.collection(AUDIT_EVENTS)

    def record(self, user: User, domain: str, action: str, payload: Mapping[str, Any]) -> None:
        with self.store.transaction():
            self.events.insert(
                AuditEvent(
                    id=self.store.next_id("audit_event"),
                    user_id=user.id,
                    username=user.username,
                    full_name=f"{user.first_name} {user.last_name}",
                    domain=domain,
                    action=action,
                    timestamp=truncate_to_millis(self.clock.now()),
                    payload=json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
                )
            )

    def record_change(
        self, user: User, action: str, record: Document | Folder | Snippet, **extra: Any
    ) -> None:
        self.record(user, record_domain(record), action, record_data(record, **extra))


# -- GET /activity ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityQuery:
    page_number: int
    page_size: int
    order_by: str
    date_from: date | None
    date_to: date | None
    actions: tuple[str, ...]
    domains: tuple[str, ...]
    usernames: tuple[str, ...]
    oid: str | None


@dataclass(frozen=True)
class ActivityPage:
    query: ActivityQuery
    total: int
    events: list[AuditEvent]


def _values(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """A Set parameter: repeated, comma-separated, or both; blanks dropped."""
    return [v.strip() for raw in params.get(name, ()) for v in raw.split(",") if v.strip()]


def _first(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def parse_activity_query(params: Mapping[str, Sequence[str]]) -> ActivityQuery:
    """The paging criteria, then the search fields, each failed check a 400 (40002)."""
    errors: list[FieldError] = []
    single = {name: values[0] for name, values in params.items() if values}
    paging = "activityApiPaginationCriteria"
    page_number = int_param(single, "pageNumber", 0, errors, paging, quoted=False)
    page_size = int_param(single, "pageSize", 20, errors, paging, quoted=False)
    if page_number < 0:
        errors.append(
            FieldError(
                "pageNumber",
                page_number,
                "Page number must be 0 or greater.",
                "activityApiPaginationCriteria",
            )
        )
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        errors.append(
            FieldError(
                "pageSize",
                page_size,
                f"Page size must be between 1 and {MAX_PAGE_SIZE}.",
                "activityApiPaginationCriteria",
            )
        )
    order_by = _first(params, "orderBy")
    if order_by is not None and order_by not in ORDERS:
        errors.append(
            FieldError(
                "orderBy",
                order_by,
                'must match "(date desc)|(date asc)"',
                "activityApiPaginationCriteria",
            )
        )
    if errors:
        raise ValidationFailed(errors)
    date_from, date_to = (
        day_param(single, name, errors, _OBJECT, java_type="java.util.Date", quoted=False)
        for name in ("dateFrom", "dateTo")
    )
    enums: dict[str, tuple[str, ...]] = {}
    for name, allowed in (("actions", ACTIONS), ("domains", DOMAINS)):
        values = _values(params, name)
        if any(v not in allowed for v in values):
            errors.append(
                FieldError(
                    name,
                    ",".join(params.get(name, ())),
                    "Failed to convert property value of type java.lang.String[] to required "
                    f"type java.util.Set for property {name}",
                    _OBJECT,
                )
            )
        enums[name] = tuple(dict.fromkeys(values))
    oid = _first(params, "oid")  # an empty one is no global id either
    if oid is not None and not _OID.fullmatch(oid):
        errors.append(FieldError("oid", oid, f'must match "{_OID.pattern}"', _OBJECT))
    # ``ApiActivitySrchConfigValidator``, after the bean's own checks.
    if date_from is not None and date_to is not None and date_from > date_to:
        errors.append(
            FieldError(
                "dateFrom",
                _first(params, "dateFrom"),
                "Minimum date is later than maximum date.",
                _OBJECT,
            )
        )
    elif oid is not None and not (_OID.fullmatch(oid) and oid[:2] in _PREFIXES):
        errors.append(FieldError("oid", oid, f"{oid} is invalid.", _OBJECT))
    if errors:
        raise ValidationFailed(errors)
    return ActivityQuery(
        page_number=page_number,
        page_size=page_size,
        order_by=order_by or ORDERS[0],
        date_from=date_from,
        date_to=date_to,
        actions=enums["actions"],
        domains=enums["domains"],
        usernames=tuple(dict.fromkeys(_values(params, "usernames"))),
        oid=oid,
    )


class ActivityService:
    def __init__(
        self, store: Store, clock: Clock, trail: AuditTrail, permissions: Permissions
    ) -> None:
        self.store = store
        self.clock = clock
        self.trail = trail
        self.permissions = permissions

    def viewable(self, user: User) -> set[str] | None:
        """The usernames whose activity the user may see (``None``: everyone's)."""
        if user.has_sysadmin_role:
            return None
        names = {user.username}
        users = self.store.collection(USERS)
        for group in self.permissions.groups_of(user.id):
            member = group.member(user.id)
            if group.type == LAB_GROUP and member is not None and member.role == PI:
                for member_id in group.member_ids:
                    found = users.get(member_id)
                    if found is not None:
                        names.add(found.username)
        return names

    def search(self, user: User, params: Mapping[str, Sequence[str]]) -> ActivityPage:
        query = parse_activity_query(params)
        query = self._restricted_dates(query)
        viewable = self.viewable(user)
        wanted: set[str] | None
        if viewable is None:
            wanted = set(query.usernames) or None
        else:
            wanted = set(query.usernames) & viewable if query.usernames else viewable
            if not wanted:
                return ActivityPage(query, 0, [])
        start = _start(query.date_from) if query.date_from else None
        end = (
            _start(query.date_to) + timedelta(hours=23, minutes=59, seconds=59)
            if query.date_to
            else None
        )
        hits = []
        for event in self.store.collection(AUDIT_EVENTS).select():
            if wanted is not None and event.username not in wanted:
                continue
            if query.actions and event.action not in query.actions:
                continue
            if query.domains and event.domain not in query.domains:
                continue
            if start is not None and event.timestamp < start:
                continue
            if end is not None and not event.timestamp < end:
                continue
            if query.oid is not None and f'"{query.oid}"' not in event.payload:
                continue
            hits.append(event)
        hits.sort(key=lambda e: (e.timestamp, e.id), reverse=query.order_by == "date desc")
        offset = query.page_number * query.page_size
        page = ActivityPage(query, len(hits), hits[offset : offset + query.page_size])
        # Written after the search, so that it is not among its own results.
        self.trail.record(user, "AUDIT", "SEARCH", {})
        return page

    def _restricted_dates(self, query: ActivityQuery) -> ActivityQuery:
        """``DateRangeRestrictor``: no search looks back more than 183 days from its end."""
        end = query.date_to or self.clock.now().astimezone(timezone.utc).date()
        earliest = end - timedelta(days=MAX_RANGE.days)
        if query.date_from is None or query.date_from < earliest:
            return ActivityQuery(**{**query.__dict__, "date_from": earliest})
        return query


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)

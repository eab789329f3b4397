"""Domain objects as RSpace's API JSON (``ApiDocumentInfo``, ``ApiDocument``, ``ApiUser``,
``ApiFormInfo``, ``ApiError``, ``NewOAuthTokenResponse``), keys in RSpace's order."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

from ..domain.accounts import UserListing
from ..domain.activity import ActivityPage
from ..domain.documents import ListingRequest
from ..domain.errors import ApiProblem
from ..domain.files import FileListing
from ..domain.folders import TreeListing
from ..domain.form_fields import API_TYPE_NAMES, decode_options, format_date, shown_content
from ..domain.forms import FormListing, access_control, can_share
from ..domain.groups import api_role
from ..domain.models import (
    Document,
    Folder,
    Form,
    FormField,
    Group,
    GroupMember,
    MediaFile,
    Share,
    Snippet,
    User,
)
from ..domain.oauth import IssuedTokens
from ..domain.paging import DEFAULT_ORDER, DEFAULT_PAGE_SIZE
from ..domain.sharing import DocumentShareReport, SharedItem, ShareListing, ShareLocation
from .jackson import Members

HTTP_STATUS_NAMES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


def rspace_date(moment: datetime) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`` in UTC, always three fraction digits."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def java_instant(moment: datetime) -> str:
    """Java ``Instant.toString()``: fraction digits in groups of three, none when zero."""
    moment = moment.astimezone(timezone.utc)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    micros = moment.microsecond
    if micros == 0:
        return base + "Z"
    if micros % 1000 == 0:
        return f"{base}.{micros // 1000:03d}Z"
    return f"{base}.{micros:06d}Z"


def api_error(problem: ApiProblem, now: datetime) -> dict[str, Any]:
    return {
        "status": HTTP_STATUS_NAMES.get(problem.http_status, str(problem.http_status)),
        "httpCode": problem.http_status,
        "internalCode": problem.internal_code,
        "message": problem.message,
        "messageCode": problem.message_code,
        "errors": list(problem.errors),
        "iso8601Timestamp": java_instant(now),
        "data": problem.data,
    }


def api_error_csv(problem: ApiProblem) -> str:
    """``CSVApiErrorMessageConverter``: a header and one row, CRLF line ends."""

    row = [
        HTTP_STATUS_NAMES.get(problem.http_status, str(problem.http_status)),
        problem.http_status,
        problem.internal_code,
        problem.message,
        "[" + ", ".join(problem.errors) + "]",
    ]
    return "status,httpCode,internalCode,message,errors\r\n" + ",".join(map(csv_cell, row)) + "\r\n"


def token_response(tokens: IssuedTokens, now: datetime) -> dict[str, Any]:
    """No ``token_type`` (a static field Jackson skips); a null ``refresh_token`` is left out."""
    body: dict[str, Any] = {"access_token": tokens.access_token}
    if tokens.refresh_token is not None:
        body["refresh_token"] = tokens.refresh_token
    body["scope"] = tokens.scope
    body["expires_in"] = tokens.expires_in(now)
    return body


def link(href: str, rel: str) -> dict[str, str]:
    return {"link": href, "rel": rel}


def user_info(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "homeFolderId": user.home_folder_id,
        "workbenchId": None,
        "hasPiRole": user.has_pi_role,
        "hasSysAdminRole": user.has_sysadmin_role,
        "_links": [],
    }


def form_info(form: Form, api_base: str | None) -> dict[str, Any]:
    """``ApiFormInfo``: a form in a listing or in a document, with its ``self`` link."""
    return {
        "id": form.id,
        "globalId": form.global_id,
        "stableId": form.stable_id,
        "version": form.version,
        "name": form.name,
        "tags": form.tags,
        "formState": form.form_state,
        "accessControl": access_control(form),
        "iconId": form.icon_id,
        "_links": [link(f"{api_base}/forms/{form.id}", "self")] if api_base else [],
    }


def form_json(form: Form, caller: User, api_base: str) -> dict[str, Any]:
    """``ApiForm``: the form with its fields and the links of what the caller may do next
    (``iconId`` is not in its property order, so Jackson writes it last)."""
    base = f"{api_base}/forms/{form.id}"
    links = [link(base, "self")]
    if can_share(caller, form):
        published = form.form_state == "PUBLISHED"
        links.append(link(f"{base}/{'unpublish' if published else 'publish'}", "publish"))
        shared = form.group_permission != "NONE"
        links.append(link(f"{base}/{'unshare' if shared else 'share'}", "share"))
    links.append(link(f"{base}/icon/{form.icon_id}", "icon"))
    body = form_info(form, None)
    del body["iconId"], body["_links"]
    body["fields"] = [form_field_json(field) for field in form.fields]
    body["_links"] = links
    body["iconId"] = form.icon_id
    return body


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)


def form_field_json(field: FormField) -> Members:
    """``ApiFormField`` of the field's type. Jackson writes the type id first and the ``type``
    property again after the name; each type's own properties follow, in its order."""
    api_type = API_TYPE_NAMES[field.type]
    modified = rspace_date(field.last_modified) if field.last_modified else None
    common: list[tuple[str, Any]] = [
        ("type", api_type),
        ("id", field.id),
        ("globalId", field.global_id),
        ("name", field.name),
        ("type", api_type),
        ("lastModified", modified),
        ("index", field.column_index),
    ]
    kind = field.type
    own: list[tuple[str, Any]]
    if kind in ("string", "text"):
        own = [("defaultValue", field.default_value), ("_links", [])]
    elif kind == "number":
        own = [
            ("min", _number(field.min_number)),
            ("max", _number(field.max_number)),
            ("decimalPlaces", field.decimal_places),
            ("defaultValue", _number(field.default_number)),
            ("_links", []),
        ]
    elif kind == "radio":
        own = [
            ("defaultOption", field.default_option),
            ("options", decode_options(field.options)),
            ("_links", []),
        ]
    elif kind == "choice":
        own = [
            ("_links", []),
            ("multipleChoice", field.multiple_choice),
            ("options", decode_options(field.options)),
            ("defaultOptions", decode_options(field.default_option)),
        ]
    elif kind == "date":
        own = [
            ("defaultValue", format_date(field.default_date)),
            ("min", format_date(field.min_date)),
            ("max", format_date(field.max_date)),
            ("_links", []),
        ]
    elif kind == "time":
        own = [("defaultTime", field.default_time), ("_links", [])]
    elif kind in ("reference", "uri"):
        own = [("_links", []), ("defaultValue", None)]
    else:
        own = [("_links", [])]
    return Members((*common, *own))


def form_listing(listing: FormListing, api_base: str) -> dict[str, Any]:
    """``ApiFormSearchResult``; its links repeat the query and the scope as given."""

    def query(page: int) -> str:
        params = _paging_query(listing.page_size, listing.order_by, page)
        extra = [
            (k, v)
            for k, v in (("query", listing.query), ("scope", listing.scope))
            if v and v.strip()
        ]
        return params + ("&" + urlencode(extra, quote_via=quote) if extra else "")

    return {
        "totalHits": listing.total,
        "pageNumber": listing.page_number,
        "forms": [form_info(form, api_base) for form in listing.forms],
        "_links": navigation_links(
            f"{api_base}/forms", listing.page_number, listing.page_size, listing.total, query
        ),
    }


def document_info(
    document: Document, form: Form, owner: User, caller: User, api_base: str
) -> dict[str, Any]:
    owned = caller.id == document.owner_id
    return {
        "id": document.id,
        "globalId": document.global_id,
        "version": document.version,
        "name": document.name,
        "created": rspace_date(document.created),
        "lastModified": rspace_date(document.last_modified),
        "parentFolderId": document.parent_folder_id if owned else None,
        "grandParentId": document.grand_parent_id if owned else None,
        "signed": document.signed,
        "tags": document.tags,
        "tagMetaData": document.tag_meta_data,
        "form": form_info(form, None),
        "owner": user_info(owner),
        "_links": [link(f"{api_base}/documents/{document.id}", "self")],
    }


def full_document(
    document: Document,
    form: Form,
    owner: User,
    caller: User,
    api_base: str,
    files: Mapping[int, MediaFile] | None = None,
) -> dict[str, Any]:
    """``ApiDocument``; ``files`` holds the live files its fields show, by id."""
    files = files or {}
    body = document_info(document, form, owner, caller, api_base)
    self_links = body.pop("_links")
    grand_parent_id = body.pop("grandParentId")
    body["form"] = form_info(form, api_base)
    body["fields"] = [
        {
            "id": field.id,
            "globalId": field.global_id,
            "name": field.name,
            "type": field.type,
            "content": shown_content(field.type, field.content),
            "lastModified": rspace_date(field.last_modified),
            "columnIndex": field.column_index,
            "files": [
                file_json(files[file_id], api_base)
                for file_id in field.file_ids
                if file_id in files
            ],
            "listOfMaterials": [],
            "_links": [],
        }
        for field in document.fields
    ]
    body["_links"] = self_links
    # grandParentId is not in ApiDocument's explicit property order, so Jackson writes it last.
    body["grandParentId"] = grand_parent_id
    return body


def csv_cell(value: object) -> str:
    """SuperCSV's ``STANDARD_PREFERENCE``: quoted only with a comma, quote or line break in it,
    quotes doubled, every line break written as CRLF."""
    text = "" if value is None else str(value)
    if any(c in text for c in ',"\r\n'):
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
        text = '"' + text.replace('"', '""') + '"'
    return text


def document_csv(document: Document) -> str:
    """``SuperCSVMessageConverter``: a header, then one row per field (the document's own
    properties are not in it), every row ending in CRLF."""
    lines = ["id,globalId,name,type,lastModified,content"]
    for field in document.fields:
        cells = (
            field.id,
            field.global_id,
            field.name,
            field.type,
            rspace_date(field.last_modified),
            shown_content(field.type, field.content),
        )
        lines.append(",".join(csv_cell(v) for v in cells))
    return "\r\n".join(lines) + "\r\n"


def _listing_query(listing: ListingRequest, page_number: int) -> str:
    """``toMap()``: pageSize unless 20, pageNumber always, orderBy unless default, searches."""
    params: list[tuple[str, str]] = []
    if listing.query.page_size != DEFAULT_PAGE_SIZE:
        params.append(("pageSize", str(listing.query.page_size)))
    params.append(("pageNumber", str(page_number)))
    if listing.order_by != DEFAULT_ORDER:
        params.append(("orderBy", listing.order_by))
    for key, value in (
        ("query", listing.search_query),
        ("advancedQuery", listing.advanced_query),
        ("filter", listing.filter),
    ):
        if value is not None:
            params.append((key, value))
    return urlencode(params, quote_via=quote)


def navigation_links(
    url: str, page: int, size: int, total_hits: int, query: Callable[[int], str]
) -> list[dict[str, str]]:
    """Navigation links in ``ApiPaginatedResultList.addNavigationLinks`` order: ``url?`` and
    the query string of each page."""
    last_page = max(0, (total_hits - 1) // size)
    base = f"{url}?"
    links = []
    if page > 0:
        links.append(link(base + query(page - 1), "prev"))
        if page - 1 != 0:
            links.append(link(base + query(0), "first"))
    if total_hits > (page + 1) * size:
        links.append(link(base + query(page + 1), "next"))
        if page + 1 != last_page:
            links.append(link(base + query(last_page), "last"))
    links.append(link(base + query(page), "self"))
    return links


def listing_links(listing: ListingRequest, total_hits: int, api_base: str) -> list[dict[str, str]]:
    return navigation_links(
        f"{api_base}/documents",
        listing.query.page_number,
        listing.query.page_size,
        total_hits,
        lambda page: _listing_query(listing, page),
    )


def _paging_query(page_size: int, order_by: str, page_number: int) -> str:
    """``toMap()`` of the pagination criteria: pageSize unless 20, pageNumber, orderBy unless
    the default."""
    params: list[tuple[str, str]] = []
    if page_size != DEFAULT_PAGE_SIZE:
        params.append(("pageSize", str(page_size)))
    params.append(("pageNumber", str(page_number)))
    if order_by != DEFAULT_ORDER:
        params.append(("orderBy", order_by))
    return urlencode(params, quote_via=quote)


def folder_json(
    folder: Folder,
    parent_folder_id: int | None,
    path: list[dict[str, Any]] | None,
    api_base: str | None,
) -> dict[str, Any]:
    """``ApiFolder``."""
    return {
        "id": folder.id,
        "globalId": folder.global_id,
        "name": folder.name,
        "created": rspace_date(folder.created),
        "lastModified": rspace_date(folder.last_modified),
        "parentFolderId": parent_folder_id,
        "notebook": folder.notebook,
        "systemFolder": folder.system,
        "sharedFolder": folder.shared,
        "mediaType": folder.media_type if folder.gallery else None,
        "pathToRootFolder": path,
        "_links": [link(f"{api_base}/folders/{folder.id}", "self")] if api_base else [],
    }


_TREE_LINK_PATHS = {
    "FOLDER": "folders",
    "NOTEBOOK": "folders",
    "DOCUMENT": "documents",
    "MEDIA": "files",
    "SNIPPET": "snippets",
}


def tree_listing(
    listing: TreeListing, owners: Mapping[int, User], api_base: str, listed_by_id: bool
) -> dict[str, Any]:
    """``ApiRecordTreeItemListing``: ``folderId``, the page, its records and links."""
    records = []
    for item in listing.items:
        record: dict[str, Any] = {
            "id": item.id,
            "globalId": item.global_id,
            "name": item.name,
            "created": rspace_date(item.created),
            "lastModified": rspace_date(item.last_modified),
            "parentFolderId": listing.folder.id,
            "type": item.type,
        }
        if item.type == "FOLDER":
            record["systemFolder"] = item.system
            record["sharedFolder"] = item.shared
        record["_links"] = [link(f"{api_base}/{_TREE_LINK_PATHS[item.type]}/{item.id}", "self")]
        owner = owners.get(item.owner_id)
        record["owner"] = user_info(owner) if owner is not None else None
        records.append(record)
    url = f"{api_base}/folders/tree" + (f"/{listing.folder.id}" if listed_by_id else "")
    return {
        "folderId": listing.folder.id,
        "totalHits": listing.total,
        "pageNumber": listing.page_number,
        "records": records,
        "_links": navigation_links(
            url,
            listing.page_number,
            listing.page_size,
            listing.total,
            lambda page: _paging_query(listing.page_size, listing.order_by, page),
        ),
    }


def file_json(file: MediaFile, api_base: str) -> dict[str, Any]:
    """``ApiFile``, with its ``self`` and ``enclosure`` (download) links."""
    return {
        "id": file.id,
        "globalId": file.global_id,
        "name": file.name,
        "caption": file.caption,
        "contentType": file.content_type,
        "created": rspace_date(file.created),
        "size": file.size,
        "version": file.version,
        "parentFolderId": file.parent_folder_id,
        "_links": [
            link(f"{api_base}/files/{file.id}", "self"),
            link(f"{api_base}/files/{file.id}/file", "enclosure"),
        ],
    }


def file_listing(listing: FileListing, api_base: str) -> dict[str, Any]:
    """``ApiFileSearchResult``: the page and its navigation links (``mediaType`` kept)."""

    def query(page: int) -> str:
        text = _paging_query(listing.page_size, listing.order_by, page)
        if listing.media_type:
            text += "&" + urlencode([("mediaType", listing.media_type)], quote_via=quote)
        return text

    return {
        "totalHits": listing.total,
        "pageNumber": listing.page_number,
        "files": [file_json(file, api_base) for file in listing.files],
        "_links": navigation_links(
            f"{api_base}/files", listing.page_number, listing.page_size, listing.total, query
        ),
    }


# -- people and collaboration ------------------------------------------------------------------


def public_user_info(user: User) -> dict[str, Any]:
    """``new ApiUser(user, true)``: what a user search shows of someone the caller shares no
    group with (the keys stay, with nulls)."""
    body = user_info(user)
    for key in ("email", "homeFolderId", "hasPiRole", "hasSysAdminRole"):
        body[key] = None
    return body


def group_info(group: Group, members: list[tuple[User, GroupMember]]) -> dict[str, Any]:
    """``ApiGroupInfo``: members as ``ApiUserGroupInfo``, PI first."""
    return {
        "id": group.id,
        "globalId": f"GP{group.id}",
        "name": group.name,
        "type": group.type,
        "sharedFolderId": group.shared_folder_id or None,
        "sharedSnippetFolderId": group.shared_snippet_folder_id or None,
        "raid": None,
        "members": [
            {"id": user.id, "username": user.username, "role": api_role(member)}
            for user, member in members
        ],
        "uniqueName": group.unique_name,
        "_links": [],
    }


def share_info(share: Share, item: SharedItem, api_base: str | None) -> dict[str, Any]:
    """``ApiShareInfo``; a listing gives each one its ``self`` link."""
    return {
        "id": share.id,
        "sharedItemId": item.id,
        "shareItemName": item.name,
        "sharedTargetId": share.target_id,
        "sharedTargetType": share.target_type,
        "permission": share.permission,
        "_links": [] if api_base is None else [link(f"{api_base}/share/{share.id}", "self")],
    }


def share_listing(listing: ShareListing, api_base: str) -> dict[str, Any]:
    """``ApiShareSearchResult``. Its navigation links point at ``/forms``, as RSpace's do
    (``getSearchEndpoint`` returns the forms endpoint)."""

    def query(page: int) -> str:
        params = _paging_query(listing.page_size, listing.order_by, page)
        if listing.query and listing.query.strip():
            params += "&" + urlencode([("query", listing.query)], quote_via=quote)
        return params

    body: dict[str, Any] = {
        "totalHits": listing.total,
        "pageNumber": listing.page_number,
        "shares": [share_info(share, item, api_base) for share, item in listing.shares],
    }
    if listing.with_folder_shares:
        body["folderShares"] = []
    body["_links"] = navigation_links(
        f"{api_base}/forms", listing.page_number, listing.page_size, listing.total, query
    )
    return body


def document_shares(report: DocumentShareReport) -> dict[str, Any]:
    """``DocumentShares``: where each share of a document (or its notebook) puts it."""

    def located(place: ShareLocation) -> dict[str, Any]:
        share = place.share
        return {
            "shareId": share.id,
            "sharerId": place.sharer.id if place.sharer else None,
            "sharerName": f"{place.sharer.first_name} {place.sharer.last_name}"
            if place.sharer
            else None,
            "recipientId": share.target_id,
            "recipientName": place.recipient_name,
            "recipientType": share.target_type,
            "permission": share.permission,
            "parentId": place.parent_id,
            "grandparentId": place.grandparent_id,
            "path": place.path,
        }

    return {
        "sharedDocId": report.item.id,
        "sharedDocName": report.item.name,
        "notebookShares": [located(p) for p in report.notebook_shares],
        "directShares": [located(p) for p in report.direct_shares],
    }


def user_listing(listing: UserListing, api_base: str) -> dict[str, Any]:
    """``ApiSysadminUserSearchResult``: users as ``ApiUser`` (no workbench), its links repeat
    the filters."""

    def query(page: int) -> str:
        params: list[tuple[str, str]] = []
        if listing.page_size != DEFAULT_PAGE_SIZE:
            params.append(("pageSize", str(listing.page_size)))
        params.append(("pageNumber", str(page)))
        if listing.order_by != "creationDate asc":
            params.append(("orderBy", listing.order_by))
        for name, day in (
            ("createdBefore", listing.created_before),
            ("lastLoginBefore", listing.last_login_before),
        ):
            if day is not None:
                params.append((name, day.isoformat()))
        if not listing.temp_only:
            params.append(("tempAccountsOnly", "false"))
        return urlencode(params, quote_via=quote)

    return {
        "totalHits": listing.total,
        "pageNumber": listing.page_number,
        "users": [user_info(u) for u in listing.users],
        "_links": navigation_links(
            f"{api_base}/sysadmin/users",
            listing.page_number,
            listing.page_size,
            listing.total,
            query,
        ),
    }


def snippet_json(snippet: Snippet, owner: User, api_base: str) -> dict[str, Any]:
    """``ApiSnippet``: its owner as ``ApiUser`` and its ``self`` link."""
    return {
        "id": snippet.id,
        "globalId": snippet.global_id,
        "name": snippet.name,
        "owner": user_info(owner),
        "content": snippet.content,
        "_links": [link(f"{api_base}/snippets/{snippet.id}", "self")],
    }


def activity_listing(page: ActivityPage, api_base: str) -> dict[str, Any]:
    """``ApiActivitySearchResult``: the events as ``ApiActivity``; its links repeat the search
    (with ``dateFrom`` as it was moved)."""
    query = page.query

    def params(number: int) -> str:
        pairs: list[tuple[str, str]] = []
        if query.page_size != DEFAULT_PAGE_SIZE:
            pairs.append(("pageSize", str(query.page_size)))
        pairs.append(("pageNumber", str(number)))
        if query.order_by != "date desc":
            pairs.append(("orderBy", query.order_by))
        if query.date_to is not None:
            pairs.append(("dateTo", query.date_to.isoformat()))
        if query.date_from is not None:
            pairs.append(("dateFrom", query.date_from.isoformat()))
        if query.oid:
            pairs.append(("oid", query.oid))
        pairs += [("actions", a) for a in query.actions]
        pairs += [("domains", d) for d in query.domains]
        pairs += [("usernames", u) for u in query.usernames]
        return urlencode(pairs, quote_via=quote)

    return {
        "totalHits": page.total,
        "pageNumber": query.page_number,
        "activities": [
            {
                "username": event.username,
                "fullName": event.full_name,
                "domain": event.domain,
                "action": event.action,
                "timestamp": rspace_date(event.timestamp),
                "payload": json.loads(event.payload),
                "_links": [],
            }
            for event in page.events
        ],
        "_links": navigation_links(
            f"{api_base}/activity", query.page_number, query.page_size, page.total, params
        ),
    }

"""The contract's clauses: one id and one sentence each, the unit of the parity report.

Tests name the clauses they check with ``@pytest.mark.clause("ID", ...)`` and raise
:class:`ContractViolation` (via :func:`expect`) so that a failure says which clause broke.

Every :func:`expect` also leaves evidence that a check of its clause ran. The report counts
a clause as passed only on that evidence: a test that passes without having checked one of
its clauses (a state machine that never reached the rule, a rule the target gives no means to
check) leaves that clause "not checked", never "pass". :func:`not_checked` says why a part of
a clause could not be checked against this target.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

CLAUSES: dict[str, str] = {
    # OAuth token endpoint: grants and token lifecycle
    "OAUTH-GRANT-1": "A password grant with valid user, password and app gives 200 with "
    "access_token, refresh_token, scope 'all' and an integer expires_in of about an hour "
    "(3500..3600); "
    "there is no token_type.",
    "OAUTH-FORMAT-1": "Opaque access and refresh tokens are 32 characters of standard Base64.",
    "OAUTH-ONEPAIR-1": "One valid pair per user+app: a new password grant invalidates the "
    "previous access token, refresh token and every JWT of that user+app.",
    "OAUTH-ROTATE-1": "A refresh grant rotates both tokens: the response carries a new access "
    "token and a new refresh token.",
    "OAUTH-ROTATE-2": "After a refresh grant the previous refresh token gives 404 and the "
    "previous access token gives 401.",
    "OAUTH-JWT-1": "is_jwt=true returns a JWT whose claims are exactly iss, iat, exp and "
    "refreshTokenHash, with iss the server URL of the API's links, exp = iat + 3600 and "
    "refreshTokenHash = SHA-256 hex of the current refresh token.",
    "OAUTH-JWT-2": "A JWT response has no refresh_token key, except a password grant that "
    "creates the first token row of its user+app.",
    "OAUTH-JWT-3": "A JWT is accepted exactly as long as the refresh token it was built from "
    "is the current one of its user+app.",
    "OAUTH-JWT-4": "is_jwt grants change nothing: the current access and refresh tokens "
    "stay valid.",
    "OAUTH-ISOLATION-1": "Tokens of one user+app are unaffected by grants for another user or "
    "app, and authenticate as their own user only.",
    "OAUTH-EXPIRY-1": "An opaque access token is refused (401) once its hour is over; a JWT is "
    "accepted until 180 s after its exp, then refused; the refresh token still works. (Needs "
    "a clock the suite can move: checked against the mock only.)",
    "OAUTH-PARAMS-1": "/oauth/token reads parameters from an urlencoded body, a multipart body "
    "and the query string; a JSON body is not read (400, internalCode 40005).",
    "OAUTH-ISJWT-1": "is_jwt takes Spring booleans (true/false, on/off, yes/no, 1/0, any case); "
    "any other value gives 400.",
    "OAUTH-METHOD-1": "/oauth/token accepts POST only: GET, PUT and DELETE give 405.",
    "OAUTH-ERR-MISSING-1": "A missing grant_type, client_id or client_secret gives 400 with "
    "internalCode 40005, naming grant_type, then client_secret, then client_id; HTTP Basic "
    "client authentication is not read.",
    "OAUTH-ERR-EMPTYCLIENT-1": "An empty client_id or client_secret gives 401 with "
    "internalCode 40101.",
    "OAUTH-ERR-GRANT-1": "An unsupported grant_type gives 422 with internalCode 42201.",
    "OAUTH-ERR-PASSWORD-1": "A password grant without username or password gives 422 with "
    "internalCode 42201.",
    "OAUTH-ERR-CREDENTIALS-1": "A wrong password or unknown username gives 401 "
    "'Invalid user credentials.'.",
    "OAUTH-ERR-CLIENT-1": "Right user and password with an unknown client_id or wrong "
    "client_secret gives 401 'OAuth token could not be created.'.",
    "OAUTH-ERR-USER-1": "A locked user gets 401 'User '<u>' has their account locked or "
    "disabled.'; a user without API access gets 401 'User '<u>' doesn't have access to API'.",
    "OAUTH-ERR-REFRESH-1": "A refresh grant with a missing or malformed refresh_token gives 422 "
    "with internalCode 42201.",
    "OAUTH-ERR-REFRESH-2": "A refresh grant with an unknown, stale or other app's refresh token, "
    "or a wrong client secret, gives 404 with internalCode 50301.",
    # API authentication
    "AUTH-MISSING-1": "An /api/v1 call without credentials gives 401 with internalCode 40101 "
    "and errors ['Authorisation error'].",
    "AUTH-APIKEY-1": "A valid apiKey header authenticates; an unknown or malformed one gives "
    "401; a non-empty apiKey wins over Authorization.",
    "AUTH-USER-1": "The API key of a user whose API access is off gives 401 'Access to API has "
    "been disabled for user '<u>''.",
    "AUTH-BEARER-1": "An Authorization header that is not exactly 'Bearer <token>' gives 401 "
    "'Authorization header for OAuth must be in the form \"Bearer <myAccessToken>\"'.",
    "AUTH-BEARER-2": "A malformed Bearer token gives 401 'OAuth token is invalid or expired.'; "
    "a well-formed unknown one (never issued, replaced, revoked or expired) gives 401 'User "
    "could not be authenticated for token X......'.",
    "AUTH-HEADERS-1": "401 responses carry no WWW-Authenticate header.",
    "AUTH-ORDER-1": "Authentication is checked before existence: a bad key on a missing "
    "document gives 401, not 404.",
    "RATE-HEADERS-1": "Every /api/v1 response, 401s included, carries X-Rate-Limit-Limit, "
    "X-Rate-Limit-Remaining and X-Rate-Limit-WaitTimeMillis headers.",
    "STATUS-1": "GET /api/v1/status needs authentication and returns "
    "{'message': 'OK', 'rspaceVersion': <string>}.",
    # documents
    "DOCS-CREATE-1": "POST /documents with {} gives 201 and an 'Untitled document' on the "
    "'Basic Document' form.",
    "DOCS-ROUNDTRIP-1": "Created and updated name, tags and field content come back unchanged "
    "in the response and on GET.",
    "DOCS-TOTAL-1": "A listing's totalHits equals the number of the caller's documents.",
    "DOCS-PAGING-1": "Walking 'next' links visits every document exactly once, in the "
    "requested order; every page but the last holds pageSize documents, and the last page "
    "has no 'next' link.",
    "DOCS-LINKS-1": "Listing links come in the order prev, first, next, last, self; "
    "pageNumber is always in the query, pageSize only if not 20, orderBy only if not default.",
    "DOCS-PASTEND-1": "A page past the end gives 200 with an empty documents list (and the "
    "same totalHits).",
    "DOCS-HTML-1": "A text field's content is stored cleaned: scripts, event handlers and "
    "javascript: links removed, their text kept, void elements written as <br />, and "
    "unclosed paragraphs closed on lines of their own.",
    "DOCS-SEARCH-1": "A search finds whole words in any case, not parts of words; a term's "
    "words must all be in one field; a stop word alone finds nothing; '*' and '?' match within "
    "one word and 'word~' finds a word up to two letters different.",
    "DOCS-SEARCH-2": "A search term shorter than 2 characters, longer than 125, blank or (in a "
    "global or fullText term) starting with '*' or '?' gives 422 with internalCode 42201 and "
    "RSpace's validator message.",
    "DOCS-DELETE-1": "DELETE gives 204 with no body; afterwards GET, PUT and DELETE of the "
    "document give 404.",
    "DOCS-ISOLATION-1": "Another user's document gives 404 to GET, PUT and DELETE and is not "
    "in the caller's listing.",
    "DOCS-CSV-1": "GET /documents/{id} with Accept: text/csv answers 200 in text/csv.",
    "DOCS-NOTFOUND-1": "A missing document gives 404 with internalCode 50301, RSpace's "
    "'could not be retrieved' message and errors [''].",
    "DOCS-PARAMS-1": "pageNumber < 0, pageSize outside 1..100, a malformed orderBy or a query "
    "over 2000 characters gives 400.",
    "DOCS-PARAMS-2": "query together with advancedQuery, an unparseable advancedQuery, or an "
    "orderBy with extra spaces gives 422 with internalCode 42201.",
    "DOCS-FIELDS-1": "A create or update whose fields list does not match the form's fields gives "
    "422 and changes nothing.",
    "DOCS-BADID-1": "A non-numeric document id gives 400 (after authentication).",
    "DOCS-BADBODY-1": "A POST or PUT body that is not JSON gives 400 with internalCode 40009.",
    "DOCS-VERSION-1": "A new document is version 1, or 2 with field content; a rename and a "
    "content save add one version each; tags alone add none; PUT {} changes neither version nor "
    "lastModified.",
    "DOCS-TAGS-1": "A tag holding <, >, \\ or / gives 422 'The value: X may not be used in tags' "
    "and changes nothing; tags come back as given; an empty string on update clears them to an "
    "empty string.",
    "DOCS-CSV-2": "A document as CSV is the header id,globalId,name,type,lastModified,content and "
    "one CRLF-ended row per field, with the JSON's field ids, global ids, names, types, dates and "
    "content.",
    # where things live: folders, notebooks, the Gallery's files
    "FOLDERS-CREATE-1": "POST /folders gives 201 with a folder (FL) or, with notebook: true, a "
    "notebook (NB) in the given parent; GET /folders/{id} gives it back; DELETE gives 204, then "
    "the folder and what it held give 401.",
    "FOLDERS-RULES-1": "Nothing can be created inside a notebook (400, internalCode 40002), and a "
    "document cannot be created in a Gallery folder (422, internalCode 42201).",
    "FOLDERS-TREE-1": "A document created with parentFolderId in a notebook is its parent's only "
    "record in /folders/tree/{id} (type DOCUMENT), and the notebook is a NOTEBOOK record of its "
    "own parent.",
    "FILES-ROUNDTRIP-1": "POST /files gives 201 with an ApiFile (GL id, size, version 1, self and "
    "enclosure links) that GET /files/{id} repeats; /files/{id}/file gives the exact bytes; POST "
    "/files/{id}/file makes version 2 of the same id with the new bytes.",
    "FILES-PLACE-1": "A file uploaded without a folder goes into its Gallery section's Api Inbox "
    "(a .txt: Documents); a folder of another section gives 422 'Target folder (id=N) must be "
    "either Gallery folder X or a subfolder of X'.",
    "FILES-ISOLATION-1": "Another user's file gives 404 (internalCode 50301) to GET /files/{id}, "
    "its download and its replacement, and is not in the caller's listing.",
    "FILES-ATTACH-1": "A <fileId=N> marker in a new document's field becomes attachment HTML and "
    "lists file N in the field's files; an unknown id gives 422 'Attachment with fileId=N from "
    "field 1 cannot be accessed'.",
    # forms
    "FORMS-SHIPPED-1": "Every user reads the Basic Document form (PUBLISHED, world-readable, "
    "one text field 'Data'), listed with scope=all; a document without a form is made from it.",
    "FORMS-CREATE-1": "POST /forms gives 201 and a NEW form, version 0, its fields in the order "
    "given with their types, names, options and defaults, and links self, publish, share, icon.",
    "FORMS-VALIDATION-1": "A form body breaking a field type's rule (no name, an unknown type, "
    "min not below max, a default outside the options) gives 400 with RSpace's message.",
    "FORMS-LIFECYCLE-1": "publish/unpublish/share/unshare set formState and the group "
    "permission; an edit of a NEW form keeps its id, of another makes a new version (new id, "
    "same stableId, version + 1) and leaves the old one OLD; only the current version is "
    "listed; a form used by documents cannot be deleted (422), an unused one can (204, then "
    "404).",
    "FORMS-DOCFIELDS-1": "A document made from a form has one field per form field, in order, "
    "with its type and its default (a number as Java writes it, choices comma-joined).",
    "FORMS-CONTENT-1": "A field's content is checked by its type (number format, decimal "
    "places and bounds; radio options; choice syntax; date format and bounds): a 422 "
    "'Validation problem with field N: ...' with RSpace's message.",
    "FORMS-UNPUBLISHED-1": "An unpublished form cannot be used for a new document (422).",
    "FORMS-SEARCH-1": "A form search term FMn finds the documents made from any version of "
    "that form; a form name term finds them by whole words of the name.",
    # error contract and wire format
    "ERR-SHAPE-1": "Every error response of /oauth/token and /api/v1 is an ApiError: status, "
    "httpCode, internalCode, message, messageCode, errors (non-empty strings), "
    "iso8601Timestamp, data.",
    "ERR-NO5XX-1": "No malformed request gives a 5xx.",
    "WIRE-CT-1": "JSON responses have Content-Type application/json.",
    "WIRE-NOCOOKIE-1": "/oauth/token and /api/v1 responses set no cookie.",
    "WIRE-SLASH-1": "A trailing slash is tolerated: /api/v1/documents/ answers like "
    "/api/v1/documents.",
    "WIRE-TOKEN-1": "Token responses have exactly the keys access_token, refresh_token "
    "(optional), scope and expires_in, with their documented types and values (scope 'all', "
    "expires_in about an hour).",
    "WIRE-LISTING-1": "A listing is {totalHits, pageNumber, documents, _links} with documented "
    "types and DocumentInfo keys.",
    "WIRE-DOC-1": "A full document has the documented keys and types, globalIds SD/FM/FD, "
    "dates as yyyy-MM-ddTHH:mm:ss.SSSZ and a self link.",
    # groups and sharing (two users with API keys who share a group)
    "SHARE-GROUP-1": "A document its owner shares with a group the other user is in is read by "
    "them (200) and listed by filter=sharedWithMe; once unshared (DELETE /share/{id}, 204) it is "
    "a 404 again and no longer listed.",
    "SHARE-READONLY-1": "A READ share's recipient gets 401 (40101) 'Unauthorised attempt by user "
    "<u> to save document [<id>]' to a PUT of the content, which stays as it was; with EDIT "
    "(PUT /share) the same PUT succeeds.",
    "SHARE-OWNER-1": "Only the owner shares: another user's POST /share of the document is a "
    "401 (40101) 'No permissions to share items with group  - ...'.",
    "SHARE-MODEL-1": "For any sequence of documents, shares with the group or the other user "
    "(READ or EDIT), permission changes, unshares and deletes by two users of one group, each "
    "reads (200, else 404), may save (200, else 401 or 404) and lists as sharedWithMe what the "
    "sharing rules say (a PI reading their lab's work included).",
    # schema-driven fuzzing
    "OPENAPI-FUZZ-1": "Against the server's own OpenAPI documents (the API's and the admin "
    "API's), every schemathesis check passes: no 5xx, documented statuses, content types, "
    "bodies and headers, schema-valid requests accepted and others refused, 405 with Allow.",
}

_CLAUSE_IN_TEXT = re.compile(r"\[([A-Z0-9]+(?:-[A-Z0-9]+)+)\]")


class ContractViolation(AssertionError):
    """A failed check, tagged with the clause it breaks (and any other clause it breaks too)."""

    def __init__(self, clause: str, message: str, also: Iterable[str] = ()) -> None:
        self.clauses = (clause, *also)
        unknown = [c for c in self.clauses if c not in CLAUSES]
        if unknown:
            raise KeyError(f"unknown clause {unknown[0]!r}")
        self.clause = clause
        tags = " ".join(f"[{c}]" for c in self.clauses)
        super().__init__(f"{tags} {message}")


@dataclass
class Evidence:
    """What the checks of one test did: the clauses checked, and parts that could not be."""

    checked: set[str] = field(default_factory=set)
    #: clause -> why (a part of) it could not be checked against this target
    not_checked: dict[str, str] = field(default_factory=dict)


_evidence = Evidence()


def start_evidence() -> None:
    """Forget the evidence of the previous test (called before each test)."""
    global _evidence
    _evidence = Evidence()


def evidence() -> Evidence:
    return _evidence


def expect(condition: object, clause: str, message: str, also: Iterable[str] = ()) -> None:
    """Raise :class:`ContractViolation` for ``clause`` (and ``also``) unless ``condition``
    holds; either way, note that a check of these clauses ran."""
    also = tuple(also)
    _evidence.checked.add(clause)
    _evidence.checked.update(also)
    if not condition:
        raise ContractViolation(clause, message, also)


def not_checked(clause: str, reason: str) -> None:
    """Note that (a part of) ``clause`` could not be checked here: the report then says so
    instead of "pass"."""
    if clause not in CLAUSES:
        raise KeyError(f"unknown clause {clause!r}")
    _evidence.not_checked.setdefault(clause, reason)


class Reach:
    """The parts of its clauses that a state machine must reach to have checked them.

    A part the runs never reached (hypothesis' examples did not get there, or the target
    gives no means to set it up) makes its clause "partly checked" in the report.
    """

    def __init__(self, parts: dict[str, tuple[str, ...]]) -> None:
        self.parts = parts
        self.reached: set[tuple[str, str]] = set()
        self.reasons: dict[tuple[str, str], str] = {}

    def hit(self, clause: str, part: str) -> None:
        if part not in self.parts.get(clause, ()):
            raise KeyError(f"{clause} has no part {part!r}")
        self.reached.add((clause, part))

    def cannot(self, clause: str, part: str, reason: str) -> None:
        """Say why ``part`` cannot be reached on this target."""
        self.reasons[(clause, part)] = reason

    def missed(self) -> dict[str, list[str]]:
        return {
            clause: [p for p in parts if (clause, p) not in self.reached]
            for clause, parts in self.parts.items()
            if any((clause, p) not in self.reached for p in parts)
        }

    def note_missed(self) -> None:
        """Record every unreached part as not checked (call after the runs)."""
        for clause, parts in self.missed().items():
            why = [f"{p} ({self.reasons.get((clause, p), 'never reached')})" for p in parts]
            not_checked(clause, "; ".join(why))


#: Skip reasons starting with this make the report say "not checked" rather than "skipped":
#: the rule exists, but the target offers no way to check it (a clock that cannot be moved).
NOT_CHECKED_PREFIX = "not checked: "


def clauses_named_in(text: str) -> set[str]:
    """Clause ids that a failure text names as ``[ID]``."""
    return {found for found in _CLAUSE_IN_TEXT.findall(text) if found in CLAUSES}

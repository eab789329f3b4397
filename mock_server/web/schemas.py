"""Pydantic models that describe RSpace's JSON for the served OpenAPI document.

Responses are rendered by :mod:`.representations`; these models exist so that ``/openapi.json``
states the real request and response shapes for schema-driven tools.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_DATE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class TokenResponse(_Model):
    access_token: str = Field(description="32-character opaque token, or a JWT with is_jwt")
    refresh_token: str | None = Field(
        None, description="Left out when a JWT is issued for an existing token pair"
    )
    scope: Literal["all"]
    expires_in: int = Field(description="Seconds until the access token expires")


class TokenRequestForm(_Model):
    grant_type: str = Field(description="password or refresh_token")
    client_id: str
    client_secret: str
    username: str | None = None
    password: str | None = None
    refresh_token: str | None = None
    is_jwt: str | None = Field(None, description="true/false/on/off/yes/no/1/0")


class ApiErrorBody(_Model):
    status: str
    httpCode: int
    internalCode: int
    message: str
    messageCode: str | None
    errors: list[str]
    iso8601Timestamp: str
    data: dict[str, Any] | None


class LinkItem(_Model):
    link: str
    rel: str


class AccessControl(_Model):
    ownerPermissionType: Literal["NONE", "READ", "WRITE"]
    groupPermissionType: Literal["NONE", "READ", "WRITE"]
    worldPermissionType: Literal["NONE", "READ", "WRITE"]


class FormInfo(_Model):
    id: int
    globalId: str = Field(pattern=r"^FM\d+$")
    stableId: str
    version: int
    name: str
    tags: str | None
    formState: Literal["NEW", "PUBLISHED", "UNPUBLISHED", "OLD"]
    accessControl: AccessControl
    iconId: int
    links: list[LinkItem] = Field(alias="_links")


class UserInfo(_Model):
    id: int
    username: str
    email: str
    firstName: str
    lastName: str
    homeFolderId: int | None
    workbenchId: int | None
    hasPiRole: bool
    hasSysAdminRole: bool
    links: list[LinkItem] = Field(alias="_links")


class DocumentInfo(_Model):
    id: int
    globalId: str = Field(pattern=r"^SD\d+$")
    version: int
    name: str
    created: str = Field(pattern=_DATE)
    lastModified: str = Field(pattern=_DATE)
    parentFolderId: int | None
    grandParentId: int | None
    signed: bool
    tags: str | None
    tagMetaData: str | None
    form: FormInfo
    owner: UserInfo
    links: list[LinkItem] = Field(alias="_links")


class DocumentField(_Model):
    id: int
    globalId: str = Field(pattern=r"^FD\d+$")
    name: str
    type: str
    content: str
    lastModified: str = Field(pattern=_DATE)
    columnIndex: int
    files: list[dict[str, Any]]
    listOfMaterials: list[dict[str, Any]]
    links: list[LinkItem] = Field(alias="_links")


class Document(DocumentInfo):
    fields: list[DocumentField]


class DocumentSearchResult(_Model):
    totalHits: int
    pageNumber: int
    documents: list[DocumentInfo]
    links: list[LinkItem] = Field(alias="_links")


class FieldInput(_Model):
    id: int | None = None
    name: str | None = None
    type: str | None = None
    content: str | None = None


class FormReference(_Model):
    id: int | None = None
    globalId: str | None = None


class DocumentPost(_Model):
    """Only these keys are read; every one is optional (``{}`` is a valid body)."""

    name: str | None = None
    tags: str | None = Field(None, description='Comma-separated tags; "" clears them on PUT')
    form: FormReference | None = None
    parentFolderId: int | None = None
    fields: list[FieldInput] | None = None


class Status(_Model):
    message: str
    rspaceVersion: str


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """A model's JSON schema with every ``$ref`` replaced by its definition, so it can sit
    anywhere in an OpenAPI document."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(definitions[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    described = {
        400: "Missing or invalid parameter or body",
        401: "Authentication failed",
        404: "Not found, deleted, or not yours",
        415: "Body is not application/json",
        422: "Well-formed but unacceptable request",
        429: "Too many requests",
    }
    return {
        code: {"model": ApiErrorBody, "description": described.get(code, "Error")} for code in codes
    }

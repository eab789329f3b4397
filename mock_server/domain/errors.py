"""Domain errors. Each carries what RSpace's ``ApiError`` body needs; one web handler renders them.

RSpace maps exception types to ``ApiError`` bodies in ``ApiControllerAdvice`` (rspace-web) and
``RestControllerAdvice`` (rspace-rest-api-utils); the classes below mirror those mappings.
"""

from __future__ import annotations

from typing import Any


class ApiProblem(Exception):
    """An error RSpace reports as an ``ApiError`` JSON body."""

    http_status: int = 500
    internal_code: int = 50001

    def __init__(
        self,
        message: str,
        errors: list[str] | None = None,
        *,
        data: dict[str, Any] | None = None,
        message_code: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors if errors else [""]
        self.data = data
        self.message_code = message_code
        #: For the server's log only, never the answer: why, where RSpace's message keeps it
        #: from the client on purpose ("Invalid user credentials."). Never holds a secret.
        self.reason = reason


class AuthenticationFailed(ApiProblem):
    """``ApiAuthenticationException``: 401, 40101, errors ``["Authorisation error"]``."""

    http_status = 401
    internal_code = 40101

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message, ["Authorisation error"], reason=reason)


class MissingParameter(ApiProblem):
    """Spring's ``MissingServletRequestParameterException``: 400, internalCode 40005."""

    http_status = 400
    internal_code = 40005

    def __init__(self, name: str, java_type: str = "String") -> None:
        super().__init__(
            f"Required request parameter '{name}' for method parameter type {java_type} "
            "is not present",
            [f"{name} parameter is missing"],
        )
        self.parameter = name


class TypeMismatch(ApiProblem):
    """Spring's ``MethodArgumentTypeMismatchException``: 400, internalCode 40006."""

    http_status = 400
    internal_code = 40006

    def __init__(self, name: str, value: str, java_type: str) -> None:
        super().__init__(
            f"Failed to convert value of type 'java.lang.String' to required type "
            f"'{java_type}'; For input string: \"{value}\"",
            [f"{name} should be of type {java_type}"],
        )


class IllegalArgument(ApiProblem):
    """``IllegalArgumentException``: 422, internalCode 42201, ``errors`` = ``[message]``."""

    http_status = 422
    internal_code = 42201

    def __init__(self, message: str) -> None:
        super().__init__(message, [message])


class NotFound(ApiProblem):
    """``jakarta.ws.rs.NotFoundException``: 404 with internalCode 50301 and ``errors`` ``[""]``."""

    http_status = 404
    internal_code = 50301

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message, [""], reason=reason)


def inaccessible(resource: str, resource_id: object) -> str:
    """``errors.resource.inaccessible``: RSpace's words for what one may not see, or is not."""
    return (
        f"{resource} with id [{resource_id}] could not be retrieved - possibly it has been "
        "deleted, does not exist, or you do not have permission to access it."
    )


def not_found(resource: str, resource_id: object) -> NotFound:
    """``createNotFoundMessage``: the 404 of a resource one may not see, or that is not."""
    return NotFound(inaccessible(resource, resource_id))


class DocumentNotFound(NotFound):
    def __init__(self, document_id: object) -> None:
        super().__init__(inaccessible("Document", document_id))


class FieldError:
    """One failed constraint on a bound value (Spring ``FieldError``)."""

    def __init__(
        self, field: str | None, rejected_value: Any, message: str, object_name: str
    ) -> None:
        self.field = field
        self.rejected_value = rejected_value
        self.message = message
        self.object_name = object_name


class ValidationFailed(ApiProblem):
    """``BindException``: 400, internalCode 40002, ``"Errors detected: n"``, validation data."""

    http_status = 400
    internal_code = 40002

    def __init__(self, field_errors: list[FieldError]) -> None:
        super().__init__(
            f"Errors detected: {len(field_errors)}",
            # A global error (``errors.reject``) has no field: it is named by its object.
            [
                f"{e.field if e.field is not None else e.object_name}: {e.message}"
                for e in field_errors
            ],
            data={
                "validationErrors": [
                    {
                        "field": e.field,
                        "rejectedValue": e.rejected_value,
                        "objectName": e.object_name,
                        "message": e.message,
                    }
                    for e in field_errors
                ]
            },
        )
        self.field_errors = field_errors


class UnreadableBody(ApiProblem):
    """``HttpMessageNotReadableException``: 400, internalCode 40009."""

    http_status = 400
    internal_code = 40009

    def __init__(self, detail: str = "JSON parse error") -> None:
        super().__init__(
            detail,
            [
                "Either JSON syntax is invalid, or RSpace could not parse an expected date or "
                "numeric field"
            ],
        )


class UnsupportedMediaType(ApiProblem):
    """``HttpMediaTypeNotSupportedException``: 415, internalCode 41501."""

    http_status = 415
    internal_code = 41501

    def __init__(self, content_type: str) -> None:
        super().__init__(
            f"Content-Type '{content_type}' is not supported",
            [
                f"{content_type} media type is not supported. Supported media types are "
                "application/json"
            ],
        )


class MethodNotAllowed(ApiProblem):
    """``HttpRequestMethodNotSupportedException``: 405, internalCode 40501."""

    http_status = 405
    internal_code = 40501

    def __init__(self, method: str, allowed: list[str]) -> None:
        super().__init__(
            f"Request method '{method}' is not supported",
            [
                f"{method} method is not supported for this request. Supported methods are "
                + " ".join(allowed)
            ],
        )
        self.allowed = allowed


class TooManyRequests(ApiProblem):
    """Throttling: 429, internalCode 42901, ``errors`` ``[""]``."""

    http_status = 429
    internal_code = 42901

    def __init__(self, message: str) -> None:
        super().__init__(message, [""])

"""One place where domain errors become RSpace ``ApiError`` responses (``ApiControllerAdvice``)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..domain.errors import ApiProblem, MethodNotAllowed
from .representations import api_error, api_error_csv
from .responses import RSpaceJSONResponse

log = logging.getLogger("rspace_mock")


class NoHandlerFound(ApiProblem):
    """No route matched (Spring's ``NoHandlerFoundException``)."""

    http_status = 404
    internal_code = 40401

    def __init__(self, method: str, path: str) -> None:
        super().__init__(
            f"No handler found for {method} {path}", [f"No handler found for {method} {path}"]
        )


class GeneralServerError(ApiProblem):
    http_status = 500
    internal_code = 50001

    def __init__(self) -> None:
        super().__init__("General server error", ["General server error"])


def problem_response(
    request: Request, problem: ApiProblem, headers: dict[str, str] | None = None
) -> Response:
    accept = request.headers.get("accept", "")
    if "text/csv" in accept and "json" not in accept:
        return Response(
            api_error_csv(problem),
            status_code=problem.http_status,
            media_type="text/csv",
            headers=headers,
        )
    clock = request.app.state.mock.clock
    return RSpaceJSONResponse(
        api_error(problem, clock.now()), status_code=problem.http_status, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        # Says why a client got its 4xx, which the access log alone does not.
        why = f" ({exc.reason})" if exc.reason else ""
        log.info(
            "%s %s -> %d %s%s", request.method, request.url.path, exc.http_status, exc.message, why
        )
        headers = None
        if isinstance(exc, MethodNotAllowed):
            headers = {"Allow": ", ".join(exc.allowed)}
        return problem_response(request, exc, headers)

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 405:
            allowed = [m.strip() for m in (exc.headers or {}).get("Allow", "").split(",") if m]
            return problem_response(
                request, MethodNotAllowed(request.method, allowed), {"Allow": ", ".join(allowed)}
            )
        if exc.status_code == 404:
            return problem_response(request, NoHandlerFound(request.method, request.url.path))
        problem = ApiProblem(str(exc.detail), [str(exc.detail)])
        problem.http_status = exc.status_code
        return problem_response(request, problem)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        # FastAPI's text names the handler's source file and line: it stays in the log.
        log.warning("request not bound on %s %s: %s", request.method, request.url.path, exc)
        problem = ApiProblem("Invalid request", ["Request parameters could not be bound"])
        problem.http_status, problem.internal_code = 400, 40001
        return problem_response(request, problem)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        # Never a stack trace on the wire; the log keeps it for whoever runs the fake.
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem_response(request, GeneralServerError())

    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(Exception, on_unexpected)

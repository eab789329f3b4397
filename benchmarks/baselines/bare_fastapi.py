"""The ceiling of our stack: FastAPI + uvicorn with no logic at all.

``POST /oauth/token`` parses the same form fields as RSpace's token endpoint and answers a
constant token body; ``GET /api/v1/documents`` answers constant JSON. Run it exactly as the
fake is run (uvicorn, same defaults), so a ratio to it measures only what the fake adds.

    python benchmarks/baselines/bare_fastapi.py --port 8090
"""

from __future__ import annotations

import argparse
from typing import Annotated

import uvicorn
from fastapi import FastAPI, Form

app = FastAPI()

TOKEN_BODY = {
    "access_token": "TuWHW0+8mUauD/y9E0HklZqrHGkA6+34",
    "refresh_token": "rTdb7EMWXdCCdzZzMLD+EWcoXATmETll",
    "scope": "all",
    "expires_in": 3599,
}
LISTING_BODY = {"totalHits": 0, "pageNumber": 0, "documents": [], "_links": []}


@app.post("/oauth/token")
async def token(
    grant_type: Annotated[str, Form()],
    client_id: Annotated[str, Form()],
    client_secret: Annotated[str, Form()],
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    refresh_token: Annotated[str | None, Form()] = None,
) -> dict[str, object]:
    return TOKEN_BODY


@app.get("/api/v1/documents")
async def documents() -> dict[str, object]:
    return LISTING_BODY


def main() -> None:
    parser = argparse.ArgumentParser(description="bare FastAPI baseline")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    args = parser.parse_args()
    # The same uvicorn settings as `rspace-mock serve`.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        lifespan="off",
        server_header=False,
        date_header=True,
    )


if __name__ == "__main__":
    main()

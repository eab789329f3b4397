"""The official ``rspace-client`` SDK (2.7.4) as a conformance adapter.

The SDK authenticates with an API key only (it has no OAuth support), so the OAuth scenarios
do not apply to it; it retries 429/5xx and connection errors through urllib3 (GET, PUT,
DELETE; POST only on 429/503).
"""

from __future__ import annotations

from typing import Any

from ..conformance import API_KEY, ClientSetup


class RSpaceSdkAdapter:
    capabilities = frozenset({API_KEY})

    def __init__(self, setup: ClientSetup, max_retries: int | None = None) -> None:
        """``max_retries=None`` keeps the SDK's own default (3, with its default backoff)."""
        from rspace_client.eln.eln import ELNClient

        if setup.api_key is None:
            raise ValueError("the SDK needs a user with an API key")
        options: dict[str, Any] = {"timeout": 10}
        if max_retries is not None:
            options["max_retries"] = max_retries
        self.client = ELNClient(setup.base_url, setup.api_key, **options)

    def login(self) -> None:
        """Nothing to do: every call carries the API key."""

    def list_documents(self) -> Any:
        return self.client.get_documents()

    def get_document(self, document_id: int) -> Any:
        return self.client.get_document(document_id)

    def create_document(self, name: str) -> Any:
        return self.client.create_document(name=name)

    def close(self) -> None:
        self.client.close()

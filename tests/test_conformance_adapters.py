"""The conformance scenarios, run against the two shipped example adapters."""

from __future__ import annotations

from mock_server.testing.adapters.oauth_requests import OAuthRequestsAdapter
from mock_server.testing.adapters.rspace_sdk import RSpaceSdkAdapter
from mock_server.testing.conformance import ClientAdapter, ClientConformance, ClientSetup


class TestOfficialSdk(ClientConformance):
    """rspace-client 2.7.4 with its default retry policy (API key only)."""

    def make_adapter(self, setup: ClientSetup) -> ClientAdapter:
        return RSpaceSdkAdapter(setup)


class TestRequestsOAuthlibClient(ClientConformance):
    def make_adapter(self, setup: ClientSetup) -> ClientAdapter:
        return OAuthRequestsAdapter(setup)

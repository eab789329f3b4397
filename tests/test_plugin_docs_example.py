"""The complete example from docs/testing-your-client.md (kept identical by a test below)."""

# --- example start ---
import pytest
import requests

from mock_server.testing.adapters.oauth_requests import RSpaceOAuthClient


@pytest.fixture
def client(rspace_mock):
    """Your client, pointed at the fake, with the fake's clock for its expiry decisions."""
    app = rspace_mock.seeded.apps[0]  # "Lab notebook sync", owned by alice
    alice = rspace_mock.seeded.user("alice")
    client = RSpaceOAuthClient(
        rspace_mock.base_url,
        app["clientId"],
        app["clientSecret"],
        "alice",
        alice["password"],
        now=rspace_mock.clock.now,
    )
    client.login()
    yield client
    client.close()


def test_client_refreshes_before_calling_with_an_expired_token(rspace_mock, client):
    rspace_mock.clock.freeze()
    client.request("GET", "/api/v1/documents")
    before = rspace_mock.journal.last_id()

    rspace_mock.clock.advance(3600)  # an hour passes, in a millisecond

    client.request("GET", "/api/v1/documents")
    # Fails with "expected a refresh grant before the first API call after expiry;
    # the client sent: ..." and the list of requests, if the client got it wrong.
    rspace_mock.journal.assert_refresh_before_api_call(since=before)
    rspace_mock.journal.assert_credentials_in_form()


def test_client_retries_a_503_on_a_listing(rspace_mock, client):
    rspace_mock.faults.add("/api/v1/documents", "error", status=503, method="GET")

    response = client.request("GET", "/api/v1/documents")

    assert response.status_code == 200
    listings = rspace_mock.journal.requests(path="/api/v1/documents")
    assert [entry.status for entry in listings] == [503, 200]
    assert listings[0].fault == "rule 1: error 503"


def test_client_does_not_replay_a_create_that_was_cut_off(rspace_mock, client):
    rspace_mock.faults.drop("/api/v1/documents", method="POST")

    with pytest.raises(requests.ConnectionError):
        client.request("POST", "/api/v1/documents", json={"name": "Assay 7"})

    assert len(rspace_mock.journal.requests(path="/api/v1/documents", method="POST")) == 1


# --- example end ---


def test_the_guide_shows_this_example_verbatim():
    from pathlib import Path

    source = Path(__file__).read_text(encoding="utf-8")
    example = source.split("# --- example start ---\n")[1].split("# --- example end ---\n")[0]
    guide = (Path(__file__).parent.parent / "docs" / "testing-your-client.md").read_text("utf-8")
    assert example.strip() in guide

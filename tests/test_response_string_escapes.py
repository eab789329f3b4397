"""Strings in responses come back exactly as sent, escaped the way Jackson escapes them."""

from __future__ import annotations

from tests.http_helpers import API_KEYS, make_client

ALICE = {"apiKey": API_KEYS["alice"]}


def test_text_that_looks_like_an_escape_is_returned_as_sent() -> None:
    client = make_client()
    # A backslash then "u00e9" is six characters of text, not an escape of é.
    name = "C:\\u00e9tudes \\\\u001f \x1f end"
    response = client.post("/api/v1/documents", json={"name": name}, headers=ALICE)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == name
    # Written as Jackson writes it: backslashes doubled, the one real control character as an
    # escape with upper-case hex digits.
    assert '"name" : "C:\\\\u00e9tudes \\\\\\\\u001f \\u001F end"' in response.text

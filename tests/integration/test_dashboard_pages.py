"""The dashboard pages as the server sends them: outside the API and its schema, in the
visitor's language, under a Content-Security-Policy that allows nothing inline or foreign, with
their scripts and styles served from the package."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(("path", "heading"), [("/", "Agent login"),
                                               ("/admin", "Supervisor login")])
def test_pages_are_served_with_a_strict_policy(client: TestClient, path: str,
                                               heading: str) -> None:
    r = client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    policy = r.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "default-src 'self'" in policy
    assert "unsafe-inline" not in policy and "http" not in policy
    assert heading in r.text and '<html lang="en">' in r.text
    # Every script is a file of ours (or a registered channel's console section's), or data
    # (the catalogue), never inline code.
    for tag in re.findall(r"<script[^>]*>", r.text):
        assert re.search(r'src="/dashboard/(static|channels)/', tag) or (
            'type="application/json"' in tag), tag
    assert " style=" not in r.text and "<style" not in r.text
    for asset in re.findall(r'(?:src|href)="(/dashboard/(?:static|channels)/[^"?]+)', r.text):
        assert client.get(asset).status_code == 200, asset
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert path not in paths


def test_the_page_speaks_the_browsers_language_unless_told_otherwise(client: TestClient) -> None:
    indonesian = client.get("/", headers={"Accept-Language": "id-ID,id;q=0.9,en;q=0.5"})
    assert '<html lang="id">' in indonesian.text and "Masuk sebagai agen" in indonesian.text
    client.cookies.set("giliran_lang", "en")
    chosen = client.get("/", headers={"Accept-Language": "id-ID"})
    assert '<html lang="en">' in chosen.text and "Agent login" in chosen.text


def test_scripts_and_styles_are_served_with_their_types(client: TestClient) -> None:
    js = client.get("/dashboard/static/agent.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    css = client.get("/dashboard/static/dashboard.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/dashboard/static/nothing.js").status_code == 404

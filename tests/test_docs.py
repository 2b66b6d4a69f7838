"""Swagger UI and ReDoc are served by the app itself, with their assets (no CDN)."""

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_page_loads_its_scripts_from_this_server(client, page):
    response = client.get(page)

    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert scripts, "the page loads no script"
    for src in scripts:
        assert src.startswith("/static/"), f"{src} is not served by the app"
        asset = client.get(src)
        assert asset.status_code == 200, src
        assert b"".join(asset.streaming_content if asset.streaming else [asset.content])


def test_swagger_ui_points_at_the_schema_url(client):
    html = client.get("/api/docs/").content.decode()

    assert "/api/schema/" in html


def test_schema_is_served_as_openapi_3(client):
    response = client.get("/api/schema/?format=json")

    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
    assert response.json()["info"]["version"] == "1.0.0"

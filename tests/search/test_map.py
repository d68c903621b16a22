"""The map's tile server is the installation's choice (MAP_TILE_URL, MAP_ATTRIBUTION), and the
Content-Security-Policy lets exactly that server's images in."""
import pytest

from assets_hub import create_app
from assets_hub.app import tile_origin
from assets_hub.db import db


@pytest.mark.parametrize("url, origin", [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
    ("https://{s}.tiles.example.org/light/{z}/{x}/{y}.png", "https://*.tiles.example.org"),
    ("/tiles/{z}/{x}/{y}.png", "'self'"),
])
def test_the_tile_server_origin_for_the_policy(url, origin):
    assert tile_origin(url) == origin


def test_the_default_map_uses_openstreetmap_with_its_attribution(client):
    page = client.get("/search/map?what=food&where=SK1+3XE")
    assert 'data-tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in page.text
    assert "OpenStreetMap</a> contributors" in page.text.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"')
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in page.headers["Content-Security-Policy"]


def test_an_installation_sets_its_own_tiles(database_url, index_dir):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "x", "SERVER_NAME": "localhost",
                      "SEARCH_INDEX_DIR": str(index_dir), "MAP_TILE_URL": "https://{s}.maps.example.org/{z}/{x}/{y}.png",
                      "MAP_ATTRIBUTION": "Maps by Example Ltd"})
    try:
        page = app.test_client().get("/search/map?where=SK1+3XE")
    finally:
        db.state(app).engine.dispose()  # its own engine: left open, its connections warn when collected
    assert 'data-tiles="https://{s}.maps.example.org/{z}/{x}/{y}.png"' in page.text
    assert 'data-attribution="Maps by Example Ltd"' in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "https://*.maps.example.org" in policy and "openstreetmap" not in policy

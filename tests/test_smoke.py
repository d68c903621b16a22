def test_home_page_renders_search_box(client):
    r = client.get("/")
    assert r.status_code == 200
    assert 'name="what"' in r.text and 'name="where"' in r.text

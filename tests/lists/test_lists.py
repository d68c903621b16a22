"""Saved lists: save from a result or a listing, name, reorder, notes, share read-only, print with
every contact detail and opening time, email to oneself; a list is its keeper's alone."""
import html
import re

import pytest
from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory.models import Service
from assets_hub.lists.models import SavedList
from assets_hub.mail import OutboxMessage
from tests.conftest import csrf_token


def sid(name):
    return db.session.scalar(select(Service.id).where(Service.name == name))


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client), **data})


def save(client, name, **extra):
    return post(client, "/lists/save", service_id=sid(name), **extra)


def my_list(client):
    page = client.get("/lists").text
    return re.search(r'href="/lists/([0-9a-f-]{36})"', page).group(1)


def names_on(page):
    return [html.unescape(n) for n in re.findall(r"<h[23]><a href=\"/services/[^\"]+\">([^<]+)</a></h[23]>", page)]


def test_a_citizen_saves_two_services_without_signing_in_and_sees_them_in_order(client):
    first = save(client, "Heatons Befriending Circle", next="/search?what=befriending")
    assert first.status_code == 302 and first.headers["Location"].endswith("/search?what=befriending")
    save(client, "Reddish Vale Walking Group")
    assert save(client, "Reddish Vale Walking Group").status_code == 302  # twice: kept once
    page = client.get(f"/lists/{my_list(client)}").text
    assert names_on(page) == ["Heatons Befriending Circle", "Reddish Vale Walking Group"]
    assert "Saved (2)" in page  # the header says how many are saved


def test_rename_reorder_note_and_remove(client):
    save(client, "Heatons Befriending Circle")
    save(client, "Reddish Vale Walking Group")
    save(client, "Edgeley Men's Shed")
    list_id = my_list(client)
    assert post(client, f"/lists/{list_id}/name", name="For Mrs Patel").status_code == 302
    shed, walk = sid("Edgeley Men's Shed"), sid("Reddish Vale Walking Group")
    post(client, f"/lists/{list_id}/items/{shed}/move", direction="up")
    post(client, f"/lists/{list_id}/items/{shed}/move", direction="up")
    post(client, f"/lists/{list_id}/items/{shed}/move", direction="up")  # at the top already: stays
    post(client, f"/lists/{list_id}/items/{walk}/note", note="Wednesdays suit her best")
    page = client.get(f"/lists/{list_id}").text
    assert "<h1>For Mrs Patel</h1>" in page
    assert names_on(page) == ["Edgeley Men's Shed", "Heatons Befriending Circle", "Reddish Vale Walking Group"]
    assert "Wednesdays suit her best</textarea>" in page
    post(client, f"/lists/{list_id}/items/{shed}/remove")
    assert names_on(client.get(f"/lists/{list_id}").text) == ["Heatons Befriending Circle",
                                                               "Reddish Vale Walking Group"]


@pytest.mark.parametrize("url, data, field", [
    ("/lists/{id}/name", {"name": "  "}, "Give the list a name."),
    ("/lists/{id}/name", {"name": "x" * 121}, "Keep the name to 120 characters."),
    ("/lists/{id}/items/{walk}/note", {"note": "n" * 501}, "Keep the note to 500 characters."),
    ("/lists/{id}/items/{walk}/move", {"direction": "sideways"}, "Move a service up or down."),
])
def test_bad_input_is_said_and_changes_nothing(client, url, data, field):
    save(client, "Reddish Vale Walking Group")
    list_id = my_list(client)
    response = post(client, url.format(id=list_id, walk=sid("Reddish Vale Walking Group")), **data)
    assert response.status_code == 422 and field in response.text
    assert "<h1>My list</h1>" in client.get(f"/lists/{list_id}").text


def test_an_unknown_or_withdrawn_service_cannot_be_saved(client):
    response = post(client, "/lists/save", service_id="not-a-service")
    assert response.status_code == 422 and "That service is not in the directory." in response.text


def test_the_share_link_shows_the_list_read_only_to_anyone(client, app):
    save(client, "Heatons Befriending Circle")
    list_id = my_list(client)
    post(client, f"/lists/{list_id}/items/{sid('Heatons Befriending Circle')}/note", note="Ask for Jo")
    token = db.session.scalar(select(SavedList.share_token).where(SavedList.id == list_id))
    other = app.test_client()  # another browser
    page = other.get(f"/lists/shared/{token}")
    assert page.status_code == 200 and "Heatons Befriending Circle" in page.text and "Ask for Jo" in page.text
    assert "<form" not in page.text.split("<main")[1].split("</main>")[0]  # nothing to change there
    assert other.get(f"/lists/{list_id}").status_code == 404  # the list's own page is its keeper's
    assert post(other, f"/lists/{list_id}/name", name="Mine now").status_code == 404
    assert other.get("/lists/shared/not-a-token").status_code == 404


def test_the_print_page_has_every_address_phone_and_opening_time(client):
    save(client, "Heatons Befriending Circle")
    save(client, "Friendly Voices Loneliness Helpline")
    text = client.get(f"/lists/{my_list(client)}/print").text
    assert "12 Shaw Road" in text and "SK4 4AA" in text and "0161 496 0001" in text
    assert "Monday" in text and "09:30 to 16:30" in text
    assert "0808 157 0192" in text  # a phone-only service
    assert "Refer yourself by phone" in text  # how to get in


def test_email_to_oneself_from_a_browser_session_and_a_few_times_only(client):
    save(client, "Heatons Befriending Circle")
    list_id = my_list(client)
    bad = post(client, f"/lists/{list_id}/email", email="not an address")
    assert bad.status_code == 422 and "Enter an email address" in bad.text
    for _ in range(3):
        assert post(client, f"/lists/{list_id}/email", email="me@example.org").status_code == 302
    assert post(client, f"/lists/{list_id}/email", email="me@example.org").status_code == 422
    sent = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipients == "me@example.org")).all()
    assert len(sent) == 3 and "Heatons Befriending Circle" in sent[0].body and "0161 496 0001" in sent[0].body
    assert "/lists/shared/" in sent[0].body


def test_a_signed_in_person_keeps_lists_in_the_account_and_gets_what_the_browser_saved(client, make_user):
    save(client, "Heatons Befriending Circle")  # before signing in
    user = make_user("member", password="correct horse battery")
    response = post(client, "/login", email=user.email, password="correct horse battery")
    assert response.status_code == 302
    list_id = my_list(client)
    assert db.session.get(SavedList, list_id).owner_id == user.id  # adopted by the account
    post(client, f"/lists/{list_id}/email")
    assert db.session.scalar(select(OutboxMessage.recipients).where(OutboxMessage.subject == "Your list: My list")
                             .order_by(OutboxMessage.created_at.desc())) == user.email


@pytest.mark.parametrize("role", ["member", "curator", "link_worker", "provider", "admin"])
def test_no_one_else_reads_or_changes_a_list_whatever_their_role(client, app, make_user, role):
    save(client, "Heatons Befriending Circle")
    list_id = my_list(client)
    other = app.test_client()
    user = make_user(role, password="correct horse battery")
    post(other, "/login", email=user.email, password="correct horse battery")
    assert other.get(f"/lists/{list_id}").status_code in (404, 302)
    assert post(other, f"/lists/{list_id}/delete").status_code in (404, 302)
    assert db.session.get(SavedList, list_id) is not None

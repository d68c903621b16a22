"""Offers and requests (found by members of the same bank: words, kind of help, nearest first)
and the conversations answering one starts, which only the two members read; public profiles
show name, badges and listings, never a balance. Both engines."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from assets_hub.db import db
from assets_hub.errors import Forbidden, Invalid, NotFound
from assets_hub.mail import OutboxMessage
from assets_hub.roles import ROLES
from assets_hub.timebank import membership, offers
from tests.conftest import csrf_token
from tests.factories import UserFactory
from tests.timebank.conftest import make_bank
from tests.timebank.test_membership import sign_in


def listing(tb, i, kind, title, place=None, category=None, description=""):
    return offers.create(tb.members[i], tb.id, {"kind": kind, "title": title, "place": place, "category": category,
                                                 "description": description})


def test_members_find_listings_by_words_kind_and_help_nearest_first(tb):
    far = listing(tb, 0, "offer", "Bike repairs", "M1 1", "home")  # Manchester city centre
    near = listing(tb, 1, "offer", "Fixing bikes and prams", "SK4 2", "home", "Heaton Moor, weekends")
    ask = listing(tb, 2, "request", "Lift to the hospital", "SK4", "transport")
    db.session.commit()
    found, place = offers.find(tb.members[2], tb.id, near="SK4 2")
    assert place.label == "SK4 2" and [f.listing.id for f in found][:2] == [near.id, ask.id]
    assert found[0].distance_m < found[-1].distance_m and found[-1].listing.id == far.id
    assert [f.listing.id for f in offers.find(tb.members[2], tb.id, "BIKE")[0]] == [near.id, far.id]  # newest first
    assert [f.listing.id for f in offers.find(tb.members[2], tb.id, "bike heaton")[0]] == [near.id]
    assert [f.listing.id for f in offers.find(tb.members[0], tb.id, kind="request")[0]] == [ask.id]
    assert [f.listing.id for f in offers.find(tb.members[0], tb.id, category="transport")[0]] == [ask.id]
    assert [f.name for f in offers.find(tb.members[0], tb.id, category="transport")[0]] == [
        tb.members[2].display_name]
    offers.close(tb.members[2], ask.id)
    membership.set_paused(tb.members[0], tb.id, True)  # a paused member's listings are not offered
    assert [f.listing.id for f in offers.find(tb.members[1], tb.id)[0]] == [near.id]


def test_bad_listings_name_the_field_and_write_nothing(tb):
    with pytest.raises(Invalid) as bad:
        offers.create(tb.members[0], tb.id, {"kind": "swap", "title": " ", "place": "Nowhere-on-sea",
                                              "category": "juggling"})
    assert set(bad.value.fields) == {"kind", "title", "place", "category"}
    with pytest.raises(Invalid) as where:
        offers.find(tb.members[0], tb.id, near="ZZ99 9ZZ")
    assert "near" in where.value.fields


def test_outsiders_other_banks_and_other_roles_see_nothing(tb):
    mine = listing(tb, 0, "offer", "Dog walking")
    other = make_bank("Didsbury Time Bank")
    db.session.commit()
    with pytest.raises(NotFound):
        offers.find(other.members[0], tb.id)
    with pytest.raises(NotFound):
        offers.answer(other.members[0], mine.id, "Hello")
    for role in ROLES:
        if role in ("admin", "member", "timebank_coordinator"):
            continue
        with pytest.raises(Forbidden):
            offers.find(UserFactory(role=role), tb.id)
    with pytest.raises(Forbidden):  # a coordinator who is not a member does not list or answer
        offers.answer(tb.coordinator, mine.id, "Hello")
    with pytest.raises(Forbidden):
        offers.close(tb.members[1], mine.id)
    assert offers.close(tb.coordinator, mine.id).status == "closed"


def test_answering_starts_one_conversation_only_the_two_read_and_mail_carries_no_words(tb):
    offer = listing(tb, 0, "offer", "Help with forms")
    db.session.commit()
    with pytest.raises(Invalid):
        offers.answer(tb.members[0], offer.id, "Me")  # one's own listing
    with pytest.raises(Invalid) as empty:
        offers.answer(tb.members[1], offer.id, "  ")
    assert empty.value.fields == {"body": ["Write a message."]}
    first = offers.answer(tb.members[1], offer.id, "Could you help with my blue badge form?")
    again = offers.answer(tb.members[1], offer.id, "Any evening suits me")
    assert again.id == first.id
    offers.reply(tb.members[0], first.id, "Thursday at the library?")
    db.session.commit()
    _, _, messages = offers.conversation(tb.members[1], first.id)
    assert [body for body in (m.body for m, _ in messages)] == [
        "Could you help with my blue badge form?", "Any evening suits me", "Thursday at the library?"]
    for outsider in (tb.members[2], tb.coordinator):  # a third member, and the coordinator too
        with pytest.raises(NotFound):
            offers.conversation(outsider, first.id)
        with pytest.raises(NotFound):
            offers.reply(outsider, first.id, "Hi")
    bodies = [m.body for m in db.session.scalars(select(OutboxMessage))]
    assert len(bodies) == 3 and not any("badge" in b or "library" in b or "evening" in b for b in bodies)
    [(c, l, other)] = offers.my_conversations(tb.members[0], tb.id)
    assert (c.id, l.id, other) == (first.id, offer.id, tb.members[1].display_name)


def test_a_profile_shows_name_badges_and_listings_never_a_balance(client, tb):
    membership.record_check(tb.coordinator, tb.id, tb.members[0].id, "references")
    listing(tb, 0, "offer", "Sewing repairs")
    db.session.commit()
    sign_in(client, tb.emails["member1"])
    page = client.get(f"/timebank/banks/{tb.id}/members/{tb.accounts[0].id}")
    assert page.status_code == 200
    assert tb.members[0].display_name in page.text and "References taken" in page.text and "Sewing repairs" in page.text
    assert "balance" not in page.text.lower()
    assert client.get(f"/timebank/banks/{tb.id}/members/{tb.pot.id}").status_code == 404


def test_the_pages_list_find_answer_and_reply(client, tb):
    sign_in(client, tb.emails["member0"])
    form = {"csrf_token": csrf_token(client), "kind": "offer", "title": "Gardening help", "place": "SK4 2",
            "category": "garden", "description": "Weeding and mowing"}
    assert client.post(f"/timebank/banks/{tb.id}/listings", data=form).status_code == 302
    bad = client.post(f"/timebank/banks/{tb.id}/listings", data={**form, "title": "", "place": "Atlantis"})
    assert bad.status_code == 422 and 'id="title-error"' in bad.text and 'id="place-error"' in bad.text

    sign_in(client, tb.emails["member1"])
    page = client.get(f"/timebank/banks/{tb.id}/listings?words=weeding&near=SK4").text
    assert "Gardening help" in page and "km away" in page and "nearest to SK4 first" in page
    unknown = client.get(f"/timebank/banks/{tb.id}/listings?near=Atlantis")
    assert unknown.status_code == 200 and 'id="near-error"' in unknown.text and "Gardening help" in unknown.text
    listing_id = page.split('action="/timebank/listings/')[1].split("/answer")[0]
    answered = client.post(f"/timebank/listings/{listing_id}/answer",
                           data={"csrf_token": csrf_token(client), "body": "I have a mower"})
    assert answered.status_code == 302
    conversation = client.get(answered.headers["Location"]).text
    assert "I have a mower" in conversation and "Only the two of you" in conversation
    empty = client.post(answered.headers["Location"], data={"csrf_token": csrf_token(client), "body": ""})
    assert empty.status_code == 422 and "Write a message." in empty.text
    sign_in(client, tb.emails["member2"])
    assert client.get(answered.headers["Location"]).status_code == 404

"""A coordinator's report against figures worked out by hand: hours a month, by kind of help,
members, new members, what waits; the page, its CSV and the JSON say the same. Both engines."""
from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from assets_hub import periods
from assets_hub.db import db
from assets_hub.errors import Forbidden, Invalid, NotFound
from assets_hub.timebank import ledger, reports
from assets_hub.timebank.schemas import GroupSchema
from tests.timebank.conftest import make_bank
from tests.timebank.test_api import bearer
from tests.timebank.test_membership import sign_in

OCT, NOV = date(2026, 10, 1), date(2026, 11, 30)


@pytest.fixture
def history(ctx):
    tb = make_bank("Levenshulme Time Bank", n=4)
    a, b, c, d = tb.accounts
    coord = tb.coordinator

    def give(giver, receiver, minutes, on, category=None, key=None):
        return ledger.record(coord, tb.id, {"giver": giver.id, "receiver": receiver.id, "minutes": minutes, "date": on,
                                            "description": "", "category": category}, key or f"{giver.id}{on}{minutes}")

    give(a, b, 60, date(2026, 10, 5), "garden")
    give(b, c, 30, date(2026, 10, 20), "shopping")
    give(a, c, 90, date(2026, 11, 2), "garden")
    wrong = give(c, a, 45, date(2026, 11, 3))
    ledger.reverse(coord, wrong.exchange.id, "Recorded twice", "r1")  # both leave the figures
    ledger.record_group(coord, tb.id, GroupSchema().load({
        "one": a.id, "many": [b.id, c.id], "direction": "gives", "rule": "each", "minutes": 20,
        "date": "2026-11-10", "category": "learning"}), "g1")
    ledger.record(tb.members[0], tb.id, {"giver": a.id, "receiver": b.id, "minutes": 15, "date": date(2026, 11, 12),
                                         "description": ""}, "p1")  # pending
    disputed = ledger.record(tb.members[1], tb.id, {"giver": b.id, "receiver": a.id, "minutes": 25,
                                                    "date": date(2026, 11, 13), "description": ""}, "p2")
    ledger.dispute(tb.members[0], disputed.exchange.id, "It was 15 minutes")
    ledger.leave(tb.members[2], tb.id)  # c leaves: the balance moved to the bank is not help given
    db.session.commit()
    return tb


def test_the_figures_are_the_ones_worked_out_by_hand(history):
    r = reports.bank_report(history.coordinator, history.id, OCT, NOV)
    assert r.months == [("2026-10", 2, 90), ("2026-11", 3, 130)]
    assert r.total_minutes == 220
    assert r.categories == [("Gardening", 2, 150), ("Learning and skills", 2, 40), ("Shopping and errands", 1, 30)]
    assert r.members == {"active": 3, "paused": 0, "left": 1, "exchanged in the period": 2,
                         "did not exchange in the period": 1}
    assert r.waiting == {"pending": 1, "disputed": 1}
    assert r.new_members == []  # everyone joined today, after the range
    today = date.today()
    now = reports.bank_report(history.coordinator, history.id, today.replace(day=1), today)
    assert now.new_members == [(today.strftime("%Y-%m"), 4)]
    assert now.months == [(today.strftime("%Y-%m"), 0, 0)]  # the reversal and the move on leaving are not help


def test_only_the_banks_coordinators_read_it_and_dates_are_checked(history):
    with pytest.raises(Forbidden):
        reports.bank_report(history.members[0], history.id)
    other = make_bank("Burnage Time Bank")
    with pytest.raises(NotFound):
        reports.bank_report(other.coordinator, history.id)
    with pytest.raises(Invalid) as backwards:
        reports.bank_report(history.coordinator, history.id, NOV, OCT)
    assert "from" in backwards.value.fields
    with pytest.raises(Invalid) as bad:
        periods.parse_range({"from": "2026-10-01", "to": "next week"})
    assert bad.value.fields == {"to": ["A date like 2026-12-07."]}


def test_the_page_the_csv_and_the_json_say_the_same(client, history):
    query = "from=2026-10-01&to=2026-11-30"
    api = client.get(f"/api/timebank/banks/{history.id}/report?{query}", headers=bearer(history.coordinator))
    assert api.status_code == 200
    assert api.json["months"] == [{"month": "2026-10", "exchanges": 2, "minutes": 90},
                                  {"month": "2026-11", "exchanges": 3, "minutes": 130}]
    assert api.json["total_minutes"] == 220
    sign_in(client, history.emails["coordinator"])
    page = client.get(f"/timebank/banks/{history.id}/report?{query}")
    assert page.status_code == 200
    assert '<td>October 2026</td><td>2</td><td>1 h 30 min</td>' in page.text
    assert '<td>November 2026</td><td>3</td><td>2 h 10 min</td>' in page.text
    assert "In all: 3 h 40 min." in page.text and '<svg role="img"' in page.text
    assert "<td>Gardening</td><td>2</td><td>2 h 30 min</td>" in page.text
    rows = list(csv.reader(io.StringIO(client.get(f"/timebank/banks/{history.id}/report?{query}&format=csv").text)))
    assert ["month", "2026-11", "3", "130"] in rows and ["category", "Gardening", "2", "150"] in rows
    assert ["waiting", "disputed", "1", ""] in rows
    bad = client.get(f"/timebank/banks/{history.id}/report?from=yesterday")
    assert bad.status_code == 422 and 'id="from-error"' in bad.text
    sign_in(client, history.emails["member0"])
    assert client.get(f"/timebank/banks/{history.id}/report").status_code == 403


def test_a_statement_for_chosen_dates_as_a_page_and_its_csv(client, history):
    a = history.accounts[0]
    sign_in(client, history.emails["coordinator"])
    page = client.get(f"/timebank/banks/{history.id}/accounts/{a.id}?from=2026-10-01&to=2026-11-30")
    assert page.status_code == 200 and "(1 to 5 of 5)" in page.text and "Gardening" in page.text
    october = client.get(f"/timebank/banks/{history.id}/accounts/{a.id}?from=2026-10-01&to=2026-10-31").text
    assert "(1 to 1 of 1)" in october and "+1 h" in october
    csv_link = october.split('href="/api/timebank/banks/')[1].split('"')[0].replace("&amp;", "&")
    rows = list(csv.reader(io.StringIO(client.get("/api/timebank/banks/" + csv_link).text)))
    assert [r[:2] for r in rows] == [["date", "minutes"], ["2026-10-05", "60"]]
    bad = client.get(f"/timebank/banks/{history.id}/accounts/{a.id}?to=soon")
    assert bad.status_code == 422 and 'id="to-error"' in bad.text
    sign_in(client, history.emails["member1"])  # another member's statement: not theirs to see
    assert client.get(f"/timebank/banks/{history.id}/accounts/{a.id}").status_code == 404
    sign_in(client, history.emails["member0"])
    assert client.get(f"/timebank/banks/{history.id}/accounts/{a.id}").status_code == 200

"""A member records hours in a real browser (JavaScript off), the other confirms, both balances
change, and the coordinator sees them; the time bank pages have no WCAG violations."""
from __future__ import annotations

from datetime import date

import pytest

from assets_hub.db import db
from tests.e2e.test_accessibility import _violations, js_page  # noqa: F401  (a fixture)
from tests.e2e.test_curation import sign_in
from tests.live import demo_app, serve

pytestmark = pytest.mark.e2e

PEOPLE = (("coord@tb-e2e.test", "coordinator password 1", "timebank_coordinator", "Cora Coordinator"),
          ("ann@tb-e2e.test", "member password 1", "member", "Ann Member"),
          ("bob@tb-e2e.test", "member password 2", "member", "Bob Member"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app = demo_app(tmp_path_factory, "e2e_timebank", users=PEOPLE, MAIL_SERVER="",
                   MAIL_OUTBOX=str(tmp_path_factory.mktemp("tb-outbox")))
    with app.app_context():
        from assets_hub.roles import SYSTEM
        from assets_hub.timebank import ledger
        bank = ledger.create_bank(SYSTEM, "Heatons Time Bank", "coord@tb-e2e.test")
        for email in ("ann@tb-e2e.test", "bob@tb-e2e.test"):
            ledger.add_member(SYSTEM, bank.id, email)
        # an invitation from an accepted referral (tests/timebank/test_linking.py makes them for real)
        from datetime import timedelta
        from assets_hub.db import utcnow
        from assets_hub.ids import new_id
        from assets_hub.timebank import linking
        from assets_hub.timebank.models import Invitation
        db.session.add(Invitation(bank_id=bank.id, onward_id=new_id(), person_id=new_id(), token_hash=linking._hash(
            "e2e-invitation"), created_by=new_id(), expires_at=utcnow() + timedelta(days=1), share_hours=False))
        db.session.commit()
    with serve(app) as base:
        yield base
    db.state(app).engine.dispose()


def test_hours_recorded_confirmed_and_seen_by_both_and_the_coordinator(site, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, site, "ann@tb-e2e.test", "member password 1")
    page.goto(site + "/timebank")
    page.get_by_role("link", name="Heatons Time Bank").click()
    page.get_by_label("gave time to").check()
    page.get_by_label("Who", exact=True).select_option(label="Bob Member")
    page.get_by_label("Hours").fill("2")
    page.get_by_label("Minutes").fill("15")
    page.get_by_label("What was it").fill("Dog walking")
    page.get_by_role("button", name="Record", exact=True).click()
    page.wait_for_load_state()  # (under load the answer's page was read before it had loaded: '')
    assert "counts once the other person confirms it" in page.content()
    assert page.locator("#my-balance").inner_text() == "0 min"
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, site, "bob@tb-e2e.test", "member password 2")
    page.goto(site + "/timebank")
    page.get_by_role("link", name="Heatons Time Bank").click()
    page.wait_for_load_state()
    assert "Dog walking" in page.content()
    page.get_by_role("button", name="Confirm 2 h 15 min").click()
    assert page.locator("#my-balance").inner_text() == "-2 h 15 min"
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, site, "ann@tb-e2e.test", "member password 1")
    page.goto(site + "/timebank")
    assert "2 h 15 min" in page.content()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, site, "coord@tb-e2e.test", "coordinator password 1")
    page.goto(site + "/timebank")
    page.get_by_role("link", name="Heatons Time Bank").click()
    accounts = page.locator("table").last.inner_text()
    assert "Ann Member\t2 h 15 min" in accounts and "Bob Member\t-2 h 15 min" in accounts
    page.get_by_role("link", name="The bank's report").click()
    months = page.get_by_role("table", name="Hours exchanged each month")
    this_month = months.get_by_role("row", name=date.today().strftime("%B %Y"))
    assert this_month.inner_text().split("\t")[1:] == ["1", "2 h 15 min"]  # one exchange this month
    context.close()


def test_time_bank_pages_have_no_wcag_violations(site, js_page):
    js_page.goto(site + "/timebank/join/e2e-invitation")  # joining from a referral, and its error state
    assert _violations(js_page) == []
    js_page.get_by_role("button", name="Join Heatons Time Bank").click()
    assert "Enter your email address." in js_page.content()
    assert _violations(js_page) == []
    sign_in(js_page, site, "coord@tb-e2e.test", "coordinator password 1")
    js_page.goto(site + "/timebank")
    assert _violations(js_page) == []
    js_page.get_by_role("link", name="Heatons Time Bank").click()
    assert _violations(js_page) == []
    js_page.get_by_role("button", name="Record", exact=True).click()  # no time given: the errors in place
    assert "How long" in js_page.content()
    assert _violations(js_page) == []
    js_page.get_by_role("button", name="Record the group activity").click()  # nobody chosen: in place
    assert "Choose the people" in js_page.content()
    assert _violations(js_page) == []
    js_page.get_by_role("link", name="The bank's report").click()
    assert _violations(js_page) == []
    js_page.goto(js_page.url + "?from=soon")
    assert "A date like" in js_page.content()
    assert _violations(js_page) == []
    js_page.get_by_role("link", name="Heatons Time Bank").click()
    js_page.get_by_role("link", name="Ann Member").click()  # a member's statement, for chosen dates
    assert "Statement: Ann Member" in js_page.content() and _violations(js_page) == []
    js_page.get_by_role("button", name="Sign out").click()

    sign_in(js_page, site, "ann@tb-e2e.test", "member password 1")  # offers, requests, a conversation
    js_page.goto(site + "/timebank")
    js_page.get_by_role("link", name="Heatons Time Bank").click()
    js_page.get_by_role("link", name="Offers and requests: what members give and need").click()
    assert _violations(js_page) == []
    js_page.get_by_label("What, in a few words").fill("Help with a computer")
    js_page.get_by_label("Where: a postcode").fill("Atlantis")
    js_page.get_by_role("button", name="List it").click()
    assert "place" in js_page.content() and _violations(js_page) == []
    js_page.get_by_label("Where: a postcode").fill("SK4 2")
    js_page.get_by_role("button", name="List it").click()
    js_page.locator(".card .meta").get_by_role("link", name="Ann Member").first.click()
    assert "Help with a computer" in js_page.content() and _violations(js_page) == []
    js_page.get_by_role("button", name="Sign out").click()
    sign_in(js_page, site, "bob@tb-e2e.test", "member password 2")
    js_page.goto(site + "/timebank")
    js_page.get_by_role("link", name="Heatons Time Bank").click()
    js_page.get_by_role("link", name="Offers and requests: what members give and need").click()
    js_page.get_by_label("Write to Ann Member").fill("I could show you on Tuesday")
    js_page.get_by_role("button", name="Answer Help with a computer").click()
    assert "I could show you on Tuesday" in js_page.content() and _violations(js_page) == []

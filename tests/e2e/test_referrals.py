"""A referral from end to end in a real browser (Chromium, JavaScript off: every step is a plain
form): a GP practice's referrer sends it; a link worker signs in with a second factor, logs the
first contact, records what matters and a need, finds a service and refers; the provider accepts
and marks attended; the link worker closes the case. The referral pages have no WCAG violations."""
from __future__ import annotations


import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from assets_hub.db import db
from tests.e2e.test_accessibility import _violations, js_page  # noqa: F401  (a fixture)
from tests.conftest import next_code
from tests.e2e.test_curation import sign_in
from tests.live import demo_app, serve

pytestmark = pytest.mark.e2e

PEOPLE = (("gp@e2e.test", "referrer password 1", "referrer", "Dr Gee"),
          ("lw@e2e.test", "link worker password 1", "link_worker", "Lee Worker"),
          ("shed@e2e.test", "provider password 1", "provider", "Pat Provider"),
          ("boss@e2e.test", "admin password 1", "admin", "Ash Admin"))


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app = demo_app(tmp_path_factory, "e2e_referrals", users=PEOPLE, MAIL_SERVER="",
                   MAIL_OUTBOX=str(tmp_path_factory.mktemp("referrals-outbox")))
    with app.app_context():
        from assets_hub.accounts.models import User
        from assets_hub.directory.models import Service
        from assets_hub.referrals import teams
        from assets_hub.roles import SYSTEM
        from curation.models import Claim
        team = teams.create_team(SYSTEM, "Heatons Social Prescribing")
        teams.add_member(SYSTEM, team.id, "lw@e2e.test", lead=True)
        service = db.session.scalars(select(Service).where(Service.status == "active", Service.name == "Stockport Carers' Support Hub")
                                     .order_by(Service.name)).first()
        provider = db.session.scalar(select(User).where(User.email == "shed@e2e.test"))
        db.session.add(Claim(user_id=provider.id, service_id=service.id, status="confirmed", is_lead=True))
        db.session.commit()
        names = {"team": team.name, "service": service.name}
    with serve(app) as base:
        yield base, names, app
    db.state(app).engine.dispose()


def second_factor(page):
    """First time: read the key off the page as a person types it into their app."""
    secret = page.locator("#secret").inner_text()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)  # (waits for the page: count() does not)
    page.get_by_role("link", name="Continue").click()


def test_a_referral_from_the_gp_to_the_provider_and_closed(site, browser):
    base, names, app = site
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()

    # the GP practice's referrer sends it
    sign_in(page, base, "gp@e2e.test", "referrer password 1")
    page.goto(base + "/referrals/new")
    assert "/account/two-factor" in page.url
    second_factor(page)
    assert page.url.endswith("/referrals/new")
    page.get_by_label("Which social prescribing team?").select_option(label=names["team"])
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Date of birth").fill("1950-03-27")
    page.get_by_label("Postcode").fill("SK4 1AA")
    page.get_by_label("NHS number").fill("943 476 5919")
    page.get_by_label("Phone (optional)").fill("0161 000 0000")
    page.get_by_label("Practice name").fill("Heaton Moor Medical Group")
    page.get_by_label("Practice ODS code").fill("P88001")
    page.get_by_label("Reason for referral").fill("Caring for her husband and exhausted.")
    page.get_by_label("Caring for someone").check()
    page.get_by_label("No known risks").check()
    page.locator("#consent\\.information_sharing-yes").check()
    page.get_by_role("button", name="Send the referral").click()
    assert "The referral has been sent" in page.content()
    assert "Received" in page.content()
    page.get_by_role("button", name="Sign out").click()

    # the link worker takes it on
    sign_in(page, base, "lw@e2e.test", "link worker password 1")
    page.goto(base + "/referrals?scope=unassigned")
    second_factor(page)
    page.get_by_role("link", name="Ada Lovelace").click()
    record = page.url
    page.get_by_role("button", name="Take this person on").click()
    page.get_by_label("Outcome").select_option("spoke")
    page.get_by_label("Minutes spent").fill("20")
    page.get_by_role("button", name="Log contact").click()
    assert "The contact is logged." in page.content()
    page.get_by_label("What matters to Ada, in their words").fill("Getting an afternoon to herself each week.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_label("Add a need").select_option("loneliness")
    page.get_by_role("button", name="Add need").click()
    page.get_by_role("link", name="Find services for Ada").click()
    page.get_by_label("Words").fill(names["service"])
    page.get_by_label("Category").select_option("")
    page.get_by_role("button", name="Search").click()
    card = page.locator("li.card").filter(has=page.get_by_role("link", name=names["service"], exact=True)).first
    card.get_by_label("Refer (the provider receives it and answers)").check()
    card.get_by_role("button", name="Record").click()
    assert f"Referred to {names['service']}" in page.content()
    page.get_by_role("button", name="Sign out").click()

    # the provider accepts, then marks attended
    sign_in(page, base, "shed@e2e.test", "provider password 1")
    page.goto(base + "/provider/referrals")
    second_factor(page)
    page.locator("table a").first.click()
    assert "Ada Lovelace" in page.content() and "Lovelace" in page.content()
    assert "1950" not in page.content()  # not shared
    page.get_by_label("Accepted").check()
    page.get_by_role("button", name="Send answer").click()
    page.get_by_label("Attended").check()
    page.get_by_label("Note to the link worker (optional)").fill("Came to the carers' cafe.")
    page.get_by_role("button", name="Send answer").click()
    assert "Marked attended" in page.content()
    page.get_by_role("button", name="Sign out").click()

    # the link worker sees it and closes the case
    sign_in(page, base, "lw@e2e.test", "link worker password 1")
    page.goto(record)
    if "/account/two-factor" in page.url:  # each sign-in asks for a fresh code
        page.get_by_label("Code").fill(code_for(app, "lw@e2e.test"))
        page.get_by_role("button", name="Continue").click()
    assert "Attended" in page.content() and "Came to the carers" in page.content()
    for step in ("First appointment", "Being supported"):
        page.get_by_label(step).check()
        page.get_by_role("button", name="Save status").click()
    page.get_by_label("Closed").check()
    page.get_by_label("If closing, why (needed to close)").select_option("discharged")
    page.get_by_role("button", name="Save status").click()
    assert "The case is now: closed." in page.content()
    context.close()



def code_for(app, email) -> str:
    """The code the person's app shows next (one not used yet: a code works once)."""
    from assets_hub.accounts.models import User
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return next_code(user.totp_secret, user.totp_last_step)


def pass_code(page, app, email):
    if "/account/two-factor" not in page.url:
        return
    if page.locator("#secret").count():
        second_factor(page)
    else:
        page.get_by_label("Code").fill(code_for(app, email))
        page.get_by_role("button", name="Continue").click()


def test_referral_pages_have_no_wcag_violations(site, js_page):
    base, names, app = site
    with app.app_context():  # a referral of its own (the tests may run on different workers)
        from assets_hub.referrals import outcomes, services, teams
        from assets_hub.referrals.schemas import ReferralInSchema
        from assets_hub.roles import SYSTEM
        from tests.factories import referral_body
        team = next(t for t in teams.all_teams() if t.name == names["team"])
        body = referral_body(team.id, person={"given_name": "Grace", "family_name": "Hopper",
                                              "date_of_birth": "1946-12-09", "postcode": "SK4 1AA"})
        grace = services.create_referral(SYSTEM, ReferralInSchema().load(body), "api")
        for stage, happy in (("start", 3), ("end", 7)):  # the record's outcome chart and table
            outcomes.record_measure(SYSTEM, grace.id, {"tool": "ons4", "stage": stage, "taken_on": "2026-11-02",
                                                       "life_satisfaction": 5, "worthwhile": 6, "happy": happy,
                                                       "anxious": 4})
        db.session.commit()
    js_page.goto(base + "/refer-yourself")
    assert _violations(js_page) == []
    js_page.get_by_role("button", name="Send my referral").click()  # every error at once
    assert _violations(js_page) == [], "self-referral errors"
    sign_in(js_page, base, "boss@e2e.test", "admin password 1")
    js_page.goto(base + "/admin/teams")
    pass_code(js_page, app, "boss@e2e.test")
    assert _violations(js_page) == [], "two-factor setup"  # (checked on the way: the recovery codes page)
    for path in ("/admin/teams", "/admin/audit", "/referrals?scope=team", "/referrals/new", "/provider/referrals",
                 "/account"):
        js_page.goto(base + path)
        assert _violations(js_page) == [], path
    js_page.goto(base + "/admin/teams")  # a team's list of GP practices: refused, then kept
    js_page.get_by_label("Practice ODS code").first.fill("HEATON")
    js_page.get_by_role("button", name="Add practice").first.click()
    assert "a letter and five digits" in js_page.content()
    assert _violations(js_page) == [], "teams page with a refused practice"
    js_page.get_by_label("Practice ODS code").first.fill("P88001")
    js_page.get_by_label("Practice name").first.fill("Heaton Moor Medical Group")
    js_page.get_by_role("button", name="Add practice").first.click()
    assert "Heaton Moor Medical Group (P88001)" in js_page.content()
    assert _violations(js_page) == [], "teams page with a practice listed"
    js_page.goto(base + "/referrals/new")
    js_page.get_by_role("button", name="Send the referral").click()
    assert _violations(js_page) == [], "staff form errors"
    js_page.goto(base + "/referrals?scope=team")
    js_page.get_by_role("link", name="Grace Hopper").first.click()
    record = js_page.url
    assert _violations(js_page) == [], "record"
    for suffix in ("/find", "/agreed", "/export"):
        js_page.goto(record + suffix)
        assert _violations(js_page) == [], suffix
    js_page.goto(record)
    js_page.get_by_role("button", name="Save status").click()  # no step chosen: refused in place
    assert _violations(js_page) == [], "record with a refused step"
    js_page.get_by_role("button", name="Erase Grace Hopper").click()  # an action refused in place
    assert "last name" in js_page.content()
    assert _violations(js_page) == [], "record with an error"
    js_page.goto(record)
    js_page.get_by_role("button", name="Save ONS4 personal well-being").click()  # every answer missing
    assert "Answer every question" in js_page.content()
    assert _violations(js_page) == [], "record with a refused measure"
    for path in ("/reports", "/reports/by_month", "/reports/outcomes", "/reports/onward", "/reports/by_month?from=x",
                 "/curation"):
        js_page.goto(base + path)
        assert _violations(js_page) == [], path


def test_a_team_lead_reads_the_monthly_report_and_its_csv_matches_the_table(site, browser):
    """The lead opens the monthly report (no JavaScript): the chart and the table are there, and
    the CSV they download has the same figures as the table."""
    import csv
    from datetime import datetime, timedelta, timezone
    base, names, app = site
    with app.app_context():
        from assets_hub.referrals import services, teams
        from assets_hub.referrals.models import Referral
        from assets_hub.referrals.schemas import ReferralInSchema
        from assets_hub.roles import SYSTEM
        from tests.factories import referral_body
        team = next(t for t in teams.all_teams() if t.name == names["team"])
        now = datetime.now(timezone.utc)
        for days_ago in (1, 2, 40, 40, 70):  # this month and the two before, give or take
            body = referral_body(team.id, person={"given_name": "Report", "family_name": f"Case{days_ago}",
                                                  "date_of_birth": "1960-01-01", "postcode": "SK4 1AA"})
            referral = services.create_referral(SYSTEM, ReferralInSchema().load(body), "api")
            db.session.get(Referral, referral.id).received_at = now - timedelta(days=days_ago)
        db.session.commit()
    context = browser.new_context(java_script_enabled=False, accept_downloads=True)
    page = context.new_page()
    sign_in(page, base, "lw@e2e.test", "link worker password 1")
    page.goto(base + "/reports")
    pass_code(page, app, "lw@e2e.test")
    page.get_by_role("link", name="Referrals by month").click()
    expect(page.get_by_role("heading", name="Referrals by month", level=1)).to_be_visible()
    expect(page.locator("figure.chart svg")).to_be_visible()
    assert page.locator("figure.chart rect").count() >= 3
    table = [[cell.inner_text().strip() for cell in row.locator("th, td").all()]
             for row in page.locator("#report-table tr").all()]
    assert table[0] == ["Month", "Referrals"] and table[-1][0] == "Total" and int(table[-1][1]) >= 5
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this table (CSV)").click()
    with open(download.value.path(), newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows == table
    context.close()

"""axe-core (the npm package, run inside Chromium) finds no WCAG 2.x A/AA violations on the main pages."""
import json
import re
import os
from pathlib import Path

import pytest

from tests.e2e.test_curation import sign_in

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ["/", "/categories", "/categories/social-connection", "/about", "/api/docs", "/login", "/suggest",
         "/search?what=befriending&where=SK4+2", "/search?where=SK9+9ZZ", "/search?what=library&where=M1&free=1",
         "/password/forgot", "/password/reset/not-a-real-token",
         "/search?what=befriending&where=Heaton+Moor", "/search?where=Newport", "/search?what=food&where=Atlantis",
         "/search/map?what=food&where=SK1+3XE", "/lists"]


def _violations(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    return result


@pytest.fixture
def js_page(browser):
    if not AXE.exists():
        message = "axe-core is missing: make test installs it with npm (package.json)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    # axe needs JavaScript (the pages themselves do not) and is injected inline, past our CSP.
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_no_wcag_violations(live_server, js_page, path):
    js_page.goto(live_server + path)
    assert _violations(js_page) == []


def test_service_page_and_forms_have_no_wcag_violations(live_server, js_page):
    js_page.goto(live_server + "/search?what=befriending&where=SK4+2")
    js_page.locator("ol.results h3 a").first.click()
    assert json.dumps(_violations(js_page)) == "[]"
    service_url = js_page.url
    for suffix in ("/history", "/report"):
        js_page.goto(service_url + suffix)
        assert _violations(js_page) == [], suffix
    js_page.get_by_role("button", name="Send report").click()  # the report form with its errors
    assert _violations(js_page) == []
    js_page.goto(live_server + "/login")
    js_page.get_by_role("button", name="Sign in").click()  # the error state of a form
    assert _violations(js_page) == []


def test_curator_forms_have_no_wcag_violations(live_server, js_page):
    js_page.goto(live_server + "/login")
    js_page.get_by_label("Email address").fill("curator@e2e.test")
    js_page.get_by_label("Password").fill("curator password 1")
    js_page.get_by_role("button", name="Sign in").click()
    for path in ("/manage/services/new", "/manage/organizations/new", "/manage/synonyms", "/curation", "/account",
                 "/curation/areas/E08000007"):
        js_page.goto(live_server + path)
        assert _violations(js_page) == [], path
    js_page.goto(live_server + "/manage/services/new")
    js_page.get_by_role("button", name="Add service").click()  # every error shown at once
    assert _violations(js_page) == []
    js_page.goto(live_server + "/search?what=befriending&where=SK4+2")
    js_page.locator("ol.results h3 a").first.click()
    js_page.get_by_role("link", name="Edit opening times").click()
    assert _violations(js_page) == []
    js_page.get_by_role("group", name="Closure 1").get_by_label("First day closed").fill("2026-12-24")
    js_page.get_by_role("group", name="Closure 1").get_by_label(re.compile("Last day")).fill("2026-12-01")
    js_page.get_by_role("button", name="Save opening times").click()  # the form's error state
    assert "Closure 1" in js_page.get_by_role("alert").inner_text()
    assert _violations(js_page) == []
    js_page.get_by_role("group", name="Closure 1").get_by_label(re.compile("Last day")).fill("2026-12-26")
    js_page.get_by_role("button", name="Save opening times").click()
    js_page.get_by_role("link", name="History of this listing").click()  # labelled lines, old and new
    assert _violations(js_page) == []
    js_page.get_by_role("link", name=re.compile("Restore the listing as first loaded")).click()
    assert "What restoring" in js_page.locator("caption").inner_text()
    assert _violations(js_page) == []


def test_near_duplicate_warning_and_comparison_have_no_wcag_violations(live_server, js_page):
    sign_in(js_page, live_server, "curator@e2e.test", "curator password 1")
    js_page.goto(live_server + "/manage/services/new")
    js_page.get_by_label("Organisation").select_option(index=1)
    js_page.get_by_label("Service name").fill("Edgeley Men's Shed")
    js_page.get_by_label("What the service does").fill("A copy, to see the warning.")
    js_page.get_by_label("Address line 1").fill("Rear of 4 Castle Street")
    js_page.get_by_label("Town or city").fill("Stockport")
    js_page.get_by_label("Postcode").fill("SK3 0AB")
    js_page.get_by_role("button", name="Add service").click()
    assert js_page.get_by_text("Is it one of these?").count() == 1  # the warning, before anything is saved
    assert _violations(js_page) == []
    js_page.get_by_label("This is a different service: add it anyway").check()
    js_page.get_by_role("button", name="Add service").click()
    js_page.goto(live_server + "/curation")
    js_page.get_by_role("link", name=re.compile("Compare them side by side")).first.click()
    assert "Are these the same service?" in js_page.locator("h1").inner_text()
    assert _violations(js_page) == []


def test_account_and_admin_pages_have_no_wcag_violations(live_server, js_page):
    js_page.goto(live_server + "/login")
    js_page.get_by_label("Email address").fill("admin@e2e.test")
    js_page.get_by_label("Password").fill("admin password 1")
    js_page.get_by_role("button", name="Sign in").click()
    js_page.goto(live_server + "/admin/users")
    assert _violations(js_page) == []
    js_page.get_by_role("button", name="Create account").click()      # the form's error state
    assert _violations(js_page) == []
    js_page.goto(live_server + "/account")
    js_page.get_by_role("button", name="Change password").click()
    assert _violations(js_page) == []
    js_page.goto(live_server + "/search?what=befriending&where=SK4+2")
    js_page.locator("ol.results h3 a").first.click()
    js_page.goto(js_page.url + "/history")                               # with the curators' redaction form
    js_page.get_by_role("button", name="Remove from history").click()   # and an action's error in place
    assert _violations(js_page) == []


def test_a_stale_save_is_refused_readably_and_accessibly(live_server, browser, js_page):
    """Two people edit one listing: the second save is refused with what the first changed, the
    form keeps what was typed, and that page has no WCAG violations; saving again then works."""
    listing = "Stockport Carers' Support Hub"
    other = browser.new_context(bypass_csp=True).new_page()
    sign_in(js_page, live_server, "curator@e2e.test", "curator password 1")
    sign_in(other, live_server, "admin@e2e.test", "admin password 1")
    for page in (js_page, other):
        page.goto(live_server + "/search?what=carers&where=SK1+3XE")
        page.get_by_role("link", name=listing, exact=True).first.click()
        page.get_by_role("link", name="Edit this service").click()
    other.get_by_label("What the service does").fill("Support, advice and breaks for unpaid carers. Drop in on Fridays.")
    other.get_by_role("button", name=re.compile("Save")).click()
    assert "Saved" in other.get_by_role("status").inner_text()

    js_page.get_by_label("Service name").fill("Stockport Carers Hub")
    js_page.get_by_role("button", name=re.compile("Save")).click()
    alert = js_page.get_by_role("alert").inner_text()
    assert "Someone changed this listing after you opened it" in alert
    assert "description (E2E Admin (administrator)" in alert
    assert js_page.get_by_label("Service name").input_value() == "Stockport Carers Hub"  # what was typed
    assert _violations(js_page) == []
    js_page.get_by_role("button", name=re.compile("Save")).click()  # again, having seen theirs
    assert "Saved" in js_page.get_by_role("status").inner_text()
    assert js_page.get_by_role("heading", level=1).inner_text() == "Stockport Carers Hub"
    other.context.close()


def test_claim_forms_have_no_wcag_violations(live_server, js_page):
    sign_in(js_page, live_server, "provider@e2e.test", "provider password 1")
    js_page.goto(live_server + "/search?what=stroke&where=Edinburgh")
    js_page.locator("ol.results h3 a").first.click()
    assert _violations(js_page) == []                                   # the service page's claim form
    js_page.get_by_role("button", name="Claim this listing").click()  # its error state (no message given)
    assert "Tell us how you are connected" in js_page.get_by_role("alert").inner_text()
    assert _violations(js_page) == []
    js_page.locator("p.meta a").first.click()                          # the organisation's page
    assert _violations(js_page) == []


def test_organisation_form_and_history_have_no_wcag_violations(live_server, js_page):
    sign_in(js_page, live_server, "curator@e2e.test", "curator password 1")
    js_page.goto(live_server + "/search?what=befriending&where=SK4+2")
    js_page.locator("ol.results h3 a").first.click()
    js_page.locator("p.meta a").first.click()
    js_page.get_by_role("link", name="Edit this organisation").click()
    assert _violations(js_page) == []
    name = js_page.get_by_label("Organisation name")
    kept = name.input_value()
    name.fill("")
    js_page.get_by_role("button", name="Save changes").click()       # its error state
    assert _violations(js_page) == []
    js_page.get_by_label("Organisation name").fill(kept + " (renamed)")
    js_page.get_by_role("button", name="Save changes").click()
    js_page.get_by_role("link", name="History of this organisation").click()
    assert "(renamed)" in js_page.locator("table").first.inner_text()
    assert _violations(js_page) == []
    js_page.get_by_role("link", name=re.compile("Undo this change")).first.click()  # the confirmation
    assert "Go back to" in js_page.locator("h1").inner_text()
    assert _violations(js_page) == []
    js_page.get_by_role("link", name="No, keep it as it is").click()
    js_page.get_by_role("link", name=re.compile("^Back to")).click()   # and back as it was, for other tests
    js_page.get_by_role("link", name="Edit this organisation").click()
    js_page.get_by_label("Organisation name").fill(kept)
    js_page.get_by_role("button", name="Save changes").click()


def test_a_places_history_and_its_undo_have_no_wcag_violations(live_server, js_page):
    sign_in(js_page, live_server, "curator@e2e.test", "curator password 1")
    js_page.goto(live_server + "/search?what=befriending&where=SK4+2")
    js_page.locator("ol.results h3 a").first.click()
    listing = js_page.url
    js_page.get_by_role("link", name="Edit this service").click()
    place = js_page.get_by_label("Name of the building or place")
    kept = place.input_value()
    place.fill((kept or "The place") + " (renamed)")
    js_page.get_by_role("button", name="Save changes").click()
    js_page.goto(listing)
    js_page.get_by_role("link", name=re.compile("History of this place")).first.click()
    assert "(renamed)" in js_page.locator("table").first.inner_text()
    assert _violations(js_page) == []
    js_page.get_by_role("link", name=re.compile("Undo this change")).first.click()  # the confirmation
    assert "Go back to" in js_page.locator("h1").inner_text()
    assert _violations(js_page) == []
    js_page.get_by_role("button", name="Yes, go back").click()      # and back as it was, for other tests
    assert "Restored the place's details" in js_page.content()
    assert (kept or "") in js_page.locator("h1").inner_text()

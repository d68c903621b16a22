"""A provider claims a listing and changes it; a curator confirms the claim and publishes the change;
the public page shows the change and its history. In Chromium, without JavaScript."""
from __future__ import annotations

import re

from playwright.sync_api import expect


def sign_in(page, base, email, password):
    page.goto(base + "/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def open_listing(page, base, name):
    page.goto(base + "/search?what=" + name.replace(" ", "+") + "&where=SK4+2")
    page.get_by_role("link", name=name, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def test_provider_claims_and_edits_curator_approves_public_sees_change_and_history(live_server, browser):
    provider = browser.new_context(java_script_enabled=False).new_page()
    curator = browser.new_context(java_script_enabled=False).new_page()
    public = browser.new_context(java_script_enabled=False).new_page()
    listing = "Reddish Vale Walking Group"

    # the provider claims the listing
    sign_in(provider, live_server, "provider@e2e.test", "provider password 1")
    open_listing(provider, live_server, listing)
    provider.get_by_role("button", name="Claim this listing").click()  # without saying how: asked to
    expect(provider.get_by_role("alert")).to_contain_text("Tell us how you are connected to it")
    provider.get_by_label("How are you connected to this service?").fill("I lead the Thursday walks.")
    provider.get_by_label(re.compile("How can we check")).fill("https://example.org/walks/team")
    provider.get_by_role("button", name="Claim this listing").click()
    expect(provider.get_by_role("status")).to_contain_text("A curator will check your claim")

    # the curator confirms it
    sign_in(curator, live_server, "curator@e2e.test", "curator password 1")
    curator.get_by_role("link", name="Curation").click()
    claim = curator.locator("section", has_text=f"claims {listing}")
    expect(claim).to_contain_text("They said: I lead the Thursday walks.")
    expect(claim).to_contain_text("How to check: https://example.org/walks/team")
    claim.get_by_label("Confirm").check()
    claim.get_by_role("button", name="Decide").click()
    expect(curator.get_by_role("status")).to_contain_text("Claim confirmed")

    # the provider changes the description: it waits for a curator
    open_listing(provider, live_server, listing)
    provider.get_by_role("link", name="Suggest changes to this listing").click()
    expect(provider.get_by_text("A curator checks your changes")).to_be_visible()
    description = provider.get_by_label("What the service does")
    description.fill("Gentle led walks around Reddish Vale every Thursday at 10am. Now with a step-free route.")
    provider.get_by_role("button", name=re.compile("Save")).click()
    expect(provider.get_by_role("status")).to_contain_text("A curator will check your changes")
    public.goto(provider.url)
    expect(public.get_by_text("Now with a step-free route.")).to_have_count(0)  # not live yet

    # the curator publishes it
    curator.get_by_role("link", name="Curation").click()
    change = curator.locator("section", has_text=listing).filter(has_text="Proposed by E2E Provider")
    expect(change.get_by_text("Now with a step-free route.")).to_be_visible()
    change.get_by_role("button", name="Publish").click()
    expect(curator.get_by_role("status")).to_contain_text(f"Published the changes to {listing}")

    # everyone sees it, and its history
    public.reload()
    expect(public.get_by_text("Now with a step-free route.")).to_be_visible()
    public.get_by_role("link", name="History of this listing").click()
    expect(public.get_by_role("heading", level=1)).to_have_text(f"History of {listing}")
    latest = public.locator("li", has=public.get_by_role("heading", name=re.compile("Version 1")))
    expect(latest).to_contain_text("approved by E2E Curator (curator)")
    expect(latest.get_by_role("row")).to_have_count(2)  # header + the one field that changed
    expect(latest.get_by_role("row", name=re.compile("^What the service does"))).to_contain_text("Now with a step-free route.")


def test_a_refused_action_is_shown_where_the_person_pressed_it(live_server, browser):
    """Two actions with no form page of their own used to land on a bare "There is a problem" page:
    claiming a listing again from a page loaded before the first claim, and resolving a report with
    nothing in the box. Each now shows the error on the page the person was on."""
    listing = "Heatons Befriending Circle"
    provider = browser.new_context(java_script_enabled=False)
    first, second = provider.new_page(), provider.new_page()
    sign_in(first, live_server, "provider@e2e.test", "provider password 1")
    open_listing(first, live_server, listing)
    second.goto(first.url)                       # the same listing in a second tab
    first.get_by_label("How are you connected to this service?").fill("I run it.")
    first.get_by_role("button", name="Claim this listing").click()
    expect(first.get_by_text("waiting for a curator")).to_be_visible()
    expect(first.get_by_role("button", name="Claim this listing")).to_have_count(0)
    second.get_by_label("How are you connected to this service?").fill("I run it.")
    second.get_by_role("button", name="Claim this listing").click()
    expect(second.get_by_role("heading", level=1)).to_have_text(listing)
    expect(second.get_by_role("alert")).to_contain_text("Your claim is waiting for a curator.")

    # someone reports a problem; the curator presses Resolve without saying what they did
    public = browser.new_context(java_script_enabled=False).new_page()
    open_listing(public, live_server, listing)
    public.get_by_role("link", name="Report a problem with this listing").click()
    public.locator("input[name=kind]").first.check()
    public.get_by_label("Tell us more").fill("The meeting day has changed to Tuesday.")
    public.get_by_label("Your email address").fill("reporter@example.org")
    public.get_by_role("button", name="Send report").click()
    expect(public.get_by_role("status")).to_contain_text("A curator will look at it")

    curator = browser.new_context(java_script_enabled=False).new_page()
    sign_in(curator, live_server, "curator@e2e.test", "curator password 1")
    curator.get_by_role("link", name="Curation").click()
    card = curator.locator("section", has_text="The meeting day has changed to Tuesday.")
    card.get_by_role("button", name="Resolve").click()
    expect(curator.get_by_role("heading", level=1)).to_have_text("Curation")
    expect(curator.get_by_role("alert")).to_contain_text("Say what you did, for the person who told us.")
    card = curator.locator("section", has_text="The meeting day has changed to Tuesday.")
    expect(card.get_by_text("Describe what you did.")).to_be_visible()
    expect(curator.get_by_text("resolution:")).to_have_count(0)


def test_a_curator_edits_opening_times_without_javascript(live_server, browser):
    """A curator adds a fortnightly session (first forgetting the day it met, which the form asks
    for by name), a Christmas closure and bank holidays; the public page shows them."""
    listing = "Edgeley Men's Shed"
    curator = browser.new_context(java_script_enabled=False).new_page()
    sign_in(curator, live_server, "curator@e2e.test", "curator password 1")
    open_listing(curator, live_server, listing)
    curator.get_by_role("link", name="Edit opening times").click()
    expect(curator.get_by_role("heading", level=1)).to_have_text(f"Opening times: {listing}")
    rows = curator.locator("fieldset.session")
    empty = rows.nth(rows.count() - 2)
    empty.get_by_role("checkbox", name="Wednesday").check()
    empty.get_by_label("Opens").fill("13:00")
    empty.get_by_label("Closes").fill("16:00")
    empty.get_by_label("How often").select_option(label="Every 2 weeks")
    curator.get_by_role("button", name="Save opening times").click()
    alert = curator.get_by_role("alert")
    expect(alert).to_contain_text("needs the date of one day it met")
    alert.get_by_role("link").first.click()  # the summary's link goes to the field
    row = curator.locator("fieldset.session", has=curator.locator("input[value='13:00']"))
    row.get_by_label(re.compile("A day it met")).fill("2026-12-02")
    closure = curator.get_by_role("group", name="Closure 1")
    closure.get_by_label("First day closed").fill("2026-12-24")
    closure.get_by_label(re.compile("Last day closed")).fill("2027-01-03")
    closure.get_by_label(re.compile("Why")).fill("Christmas and New Year")
    curator.get_by_label("Closed on bank holidays").check()
    curator.get_by_role("button", name="Save opening times").click()
    expect(curator.get_by_role("status")).to_contain_text(f"Saved the opening times of {listing}")

    public = browser.new_context(java_script_enabled=False).new_page()
    public.goto(curator.url)
    expect(public.get_by_text("Every 2 weeks on Wednesday, 13:00 to 16:00, from 2 December 2026")).to_be_visible()
    expect(public.get_by_text("Closed from 24 December 2026 to 3 January 2027: Christmas and New Year")).to_be_visible()
    expect(public.get_by_text("Closed on bank holidays")).to_be_visible()

"""axe-core (the npm package, run inside Chromium) finds no WCAG 2.x A/AA violations on the main pages."""
import json
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ["/", "/categories", "/categories/social-connection", "/about", "/api/docs", "/login", "/suggest",
         "/search?what=befriending&where=SK4+2", "/search?where=SK9+9ZZ", "/search?what=library&where=M1&free=1",
         "/password/forgot", "/password/reset/not-a-real-token"]


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
    for path in ("/manage/services/new", "/manage/organizations/new", "/manage/synonyms", "/curation", "/account"):
        js_page.goto(live_server + path)
        assert _violations(js_page) == [], path
    js_page.goto(live_server + "/manage/services/new")
    js_page.get_by_role("button", name="Add service").click()  # every error shown at once
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

"""Editing opening times: regular and every-N-weeks sessions, the Nth weekday of the month,
closures and bank holidays; the importer's checks; who may do it (every role); bad input names the
row and the field and changes nothing; a provider's times wait for a curator. On both databases."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory import schedules
from assets_hub.directory.models import Schedule, Service
from assets_hub.errors import Invalid
from assets_hub.ids import new_id
from curation import listings, workflow
from curation.hsds.importer import import_records
from search.details import opening
from tests.conftest import ROLES, csrf_token

NAME = "Heatons Befriending Circle"


def service() -> Service:
    return db.session.scalar(select(Service).where(Service.name == NAME))


def page(client):
    return f"/manage/services/{service().id}/opening-times"


def blank_form(client, **fields) -> dict:
    """What a person sends with the page as it is now: its rows (hidden markers and values) plus
    ``fields``. Built from the page's own inputs, so the test types into what a person sees."""
    import re
    html = client.get(page(client)).text
    data: dict = {"csrf_token": csrf_token(client)}
    for tag in re.findall(r"<input[^>]+>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if kind and kind.group(1) == "checkbox":
            if "checked" in tag:
                data.setdefault(name.group(1), []).append(value.group(1))
            continue
        data[name.group(1)] = value.group(1) if value else ""
    for select_tag in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', select_tag[1]) or \
            re.search(r'<option value="([^"]*)"', select_tag[1])
        data[select_tag[0]] = chosen.group(1)
    for key, value in fields.items():
        data[key] = value
    return data


def empty_row(data: dict) -> str:
    """The prefix of the first row with nothing in it."""
    import re
    numbers = sorted({int(m.group(1)) for k in data if (m := re.match(r"row-(\d+)-shown", k))})
    for n in numbers:
        if not data.get(f"row-{n}-days") and not data.get(f"row-{n}-opens_at"):
            return f"row-{n}-"
    raise AssertionError("no empty row")


def test_a_curator_adds_a_fortnightly_session_a_closure_and_bank_holidays(client, login_as):
    login_as("curator")
    before = listings.version_of(service().id)
    data = blank_form(client)
    p = empty_row(data)
    data.update({p + "days": ["TU"], p + "opens_at": "10:00", p + "closes_at": "12:00", p + "every": "2",
                 p + "dtstart": "2026-01-06", p + "notes": "In the church hall",
                 "closure-0-from": "2026-12-24", "closure-0-to": "2027-01-02", "closure-0-reason": "Christmas",
                 "bank_holidays": "1"})
    response = client.post(page(client), data=data)
    assert response.status_code == 302, response.text
    listing = client.get(f"/services/{service().id}").text
    assert "Every 2 weeks on Tuesday, 10:00 to 12:00, from 6 January 2026" in listing
    assert "Closed from 24 December 2026 to 2 January 2027: Christmas" in listing
    assert "Closed on bank holidays" in listing
    assert listings.version_of(service().id) == before + 1
    history = client.get(f"/services/{service().id}/history").text
    assert "schedules" in history or "Opening times" in history
    # the page shows what was saved, ready to change again
    again = client.get(page(client)).text
    assert 'value="2026-12-24"' in again and 'name="bank_holidays" value="1" checked' in again


def test_the_next_opening_skips_closures_and_the_nations_bank_holidays(ctx):
    weekly = Schedule(freq="WEEKLY", byday="FR", opens_at="10:00", closes_at="12:00")
    christmas = Schedule(**schedules.check(schedules.closure_row(date(2026, 12, 25), date(2026, 12, 25),
                                                                  "Christmas")))
    bank = Schedule(**schedules.check({"description": schedules.BANK_HOLIDAYS}))
    # Friday 25 December is closed; the next Friday, 1 January, is a bank holiday everywhere
    assert opening([weekly, christmas, bank], date(2026, 12, 25)) == "Next open Friday 8 January, 10:00 to 12:00"
    # Saturday 2 January 2027? A Scottish bank holiday falls on Monday 4 January 2027 (for 2 Jan)
    monday = Schedule(freq="WEEKLY", byday="MO", opens_at="09:00", closes_at="11:00")
    assert opening([monday, bank], date(2027, 1, 4), "ENG") == "Open today, 09:00 to 11:00"
    assert opening([monday, bank], date(2027, 1, 4), "SCT") == "Next open Monday 11 January, 09:00 to 11:00"
    assert schedules.nation_of("EH1 1YZ") == "SCT" and schedules.nation_of("BT1 5GS") == "NIR"
    assert schedules.nation_of("SK4 4AA") == schedules.nation_of("CF10 1EP") == "ENG"


def test_the_second_tuesday_of_the_month(ctx):
    second = Schedule(freq="MONTHLY", byday="2TU", opens_at="18:00", closes_at="20:00")
    last = Schedule(freq="MONTHLY", byday="-1FR", opens_at="18:00", closes_at="20:00")
    assert [d for d in range(1, 32) if schedules.meets(second, date(2026, 12, d))] == [8]
    assert [d for d in range(1, 32) if schedules.meets(last, date(2026, 12, d))] == [25]
    assert opening([second], date(2026, 12, 1)) == "Next open Tuesday 8 December, 18:00 to 20:00"


@pytest.mark.parametrize("typed, message", [
    ({"days": ["WE"], "opens_at": "10:00"}, "give the time it closes"),
    ({"opens_at": "10:00", "closes_at": "12:00"}, "choose the days it opens"),
    ({"days": ["WE"], "opens_at": "10:00", "closes_at": "12:00", "every": "3"}, "needs the date of one day it met"),
    ({"days": ["WE"], "opens_at": "25:00", "closes_at": "12:00"}, "must be a time like 09:30"),
    ({"days": ["WE"], "opens_at": "10:00", "closes_at": "12:00", "valid_from": "2026-06-01",
      "valid_to": "2026-01-01"}, "on or after the first"),
])
def test_bad_rows_are_refused_naming_the_row_and_field_and_nothing_changes(client, login_as, typed, message):
    login_as("curator")
    before = (listings.version_of(service().id), schedules.values_of(service()))
    data = blank_form(client)
    p = empty_row(data)
    data.update({p + k: v for k, v in typed.items()})
    response = client.post(page(client), data=data)
    assert response.status_code == 422
    assert message in response.text and "Opening times row" in response.text
    assert 'class="error-message"' in response.text
    db.session.expire_all()
    assert (listings.version_of(service().id), schedules.values_of(service())) == before
    # what was typed is still there
    if typed.get("opens_at"):
        assert f'value="{typed["opens_at"]}"' in response.text


def test_a_closure_must_end_after_it_starts(client, login_as):
    login_as("curator")
    data = blank_form(client, **{"closure-0-from": "2026-12-24", "closure-0-to": "2026-12-20"})
    response = client.post(page(client), data=data)
    assert response.status_code == 422 and "Closure 1: the last day must be on or after the first" in response.text


def test_removing_a_row_and_a_stale_form_is_refused(client, login_as, make_user):
    login_as("curator")
    data = blank_form(client)
    p = empty_row(data)
    data.update({p + "days": ["SA", "SU"], p + "opens_at": "09:45", p + "closes_at": "16:15"})
    assert client.post(page(client), data=data).status_code == 302
    opened = blank_form(client)  # opened now; someone else saves before this person does
    other = make_user("curator")
    workflow.edit_listing(other, service().id, {"description": "Changed by someone else."})
    db.session.flush()
    mine = [k for k, v in opened.items() if k.endswith("-opens_at") and v == "09:45"][0]
    opened[mine.replace("-opens_at", "-remove")] = "1"
    response = client.post(page(client), data=opened)
    assert response.status_code == 409 and "Someone changed this listing" in response.text
    assert "09:45 to 16:15" in client.get(f"/services/{service().id}").text
    fresh = blank_form(client)
    fresh[mine.replace("-opens_at", "-remove")] = "1"
    assert client.post(page(client), data=fresh).status_code == 302
    listing = client.get(f"/services/{service().id}").text
    assert "09:45 to 16:15" not in listing and "09:30 to 16:30" in listing  # the other rows stay


def test_schedules_the_form_cannot_show_are_kept_unless_unticked(client, login_as):
    curator = login_as("curator")
    values = schedules.values_of(service()) + [schedules.as_value(
        "service", {"freq": "MONTHLY", "bymonthday": "15", "opens_at": "10:00", "closes_at": "12:00"})]
    workflow.edit_listing(curator, service().id, {"schedules": values})
    db.session.flush()
    data = blank_form(client)
    assert "Keep: Every month on day 15, 10:00 to 12:00" in client.get(page(client)).text
    # saved as it is (the kept schedule ticked): nothing changes, and it stays
    assert client.post(page(client), data=data).status_code == 302
    db.session.expire_all()
    assert any(v.get("bymonthday") == "15" for v in schedules.values_of(service()))
    data = blank_form(client)
    data.pop("keep")
    p = empty_row(data)
    data.update({p + "days": ["FR"], p + "opens_at": "10:00", p + "closes_at": "11:00"})
    assert client.post(page(client), data=data).status_code == 302
    db.session.expire_all()
    assert not any(v.get("bymonthday") for v in schedules.values_of(service()))


@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_the_page(client, login_as, role):
    login_as(role)
    response = client.get(page(client))
    assert response.status_code == (200 if role in ("admin", "curator") else 403)


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(page(client))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_providers_times_wait_for_a_curator(client, login_as, make_user, smtp):
    provider = login_as("provider")
    curator = make_user("curator")
    claim = workflow.request_claim(provider, service_id=service().id, message="I run it")
    workflow.decide_claim(curator, claim.id, "confirm")
    db.session.flush()
    before = schedules.values_of(service())
    data = blank_form(client)
    p = empty_row(data)
    data.update({p + "days": ["TH"], p + "opens_at": "14:00", p + "closes_at": "15:30"})
    response = client.post(page(client), data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert schedules.values_of(service()) == before  # waits for a curator
    change = workflow.queue()[-1]
    assert "schedules" in change.fields
    login_as("curator")
    queue = client.get("/curation").text
    assert "Every week on Thursday, 14:00 to 15:30" in queue
    assert "The listing now and as proposed" in queue  # side by side: what it says now, and the proposal
    now_cell = queue.split("The listing now and as proposed")[1].split("<td>")[1].split("</td>")[0]
    assert "09:30 to 16:30" in now_cell and "Thursday, 14:00" not in now_cell
    workflow.approve(curator, change.id)
    db.session.flush()
    db.session.expire_all()
    assert "Thursday" in client.get(f"/services/{service().id}").text
    assert any(v.get("byday") == "TH" for v in schedules.values_of(service()))


def test_the_api_takes_opening_times_with_the_same_checks(ctx, make_user):
    curator = make_user("curator")
    with pytest.raises(Invalid) as refused:
        workflow.edit_listing(curator, service().id, {"schedules": [{"freq": "WEEKLY", "byday": "XX"}]})
    assert "schedules.0.byday" in refused.value.fields


def record_with(schedule: dict) -> dict:
    return {"id": new_id(), "name": "Schedule check", "description": "A test.", "status": "active",
            "organization": {"id": new_id(), "name": "Schedule check org"}, "schedules": [schedule]}


def test_the_importer_uses_the_same_checks(ctx):
    bad = import_records([("x.json", 1, record_with({"id": new_id(), "freq": "WEEKLY", "byday": "MO",
                                                      "opens_at": "25:00"}))], "x.json", dry_run=True)
    assert not bad.ok and any(p.field == "schedules[0].opens_at" for p in bad.problems)
    fortnightly = import_records([("x.json", 1, record_with({"id": new_id(), "freq": "WEEKLY", "interval": 2,
                                                              "byday": "MO", "opens_at": "10:00"}))],
                                 "x.json", dry_run=True)
    assert not fortnightly.ok and any(p.field == "schedules[0].dtstart" for p in fortnightly.problems)
    loose = import_records([("x.json", 1, record_with({"id": new_id(), "freq": "WEEKLY", "byday": "mo",
                                                        "opens_at": "9am", "closes_at": "4:30 PM"}))],
                           "x.json", dry_run=True)
    assert loose.ok, loose.lines()


def test_open_now_leaves_out_a_listing_closed_today_or_on_a_bank_holiday(ctx, make_user):
    """The search filter reads closures too: a dated closure, and "closed on bank holidays" on a
    day that is one where the listing is (the same rules as the result's "Open today")."""
    from datetime import datetime
    from search import run_search
    from search.filters import LONDON
    from search.query import SearchQuery

    def open_now(now):
        q = SearchQuery(where="SK5", radius_km=10.0, open_now=True, per_page=100)
        return [h.name for h in run_search(q, now=now).hits]
    walk = db.session.scalar(select(Service).where(Service.name == "Reddish Vale Walking Group"))
    wednesday = datetime(2026, 11, 25, 10, 15, tzinfo=LONDON)
    christmas_wednesday = datetime(2024, 12, 25, 10, 15, tzinfo=LONDON)  # a bank holiday everywhere
    assert walk.name in open_now(wednesday) and walk.name in open_now(christmas_wednesday)
    curator = make_user("curator")
    values = schedules.values_of(walk) + [
        schedules.as_value("service", schedules.closure_row(date(2026, 11, 23), date(2026, 11, 27), "Repairs")),
        schedules.as_value("service", {"description": schedules.BANK_HOLIDAYS})]
    workflow.edit_listing(curator, walk.id, {"schedules": values})
    db.session.flush()
    assert walk.name not in open_now(wednesday)                       # closed for repairs that week
    assert walk.name in open_now(datetime(2026, 12, 2, 10, 15, tzinfo=LONDON))   # the week after
    assert walk.name not in open_now(christmas_wednesday)             # a bank holiday in England


def test_open_now_and_on_a_day_read_monthly_rules(ctx, make_user):
    """A group that meets on the second Tuesday of the month is open then (and not on the first),
    and counts for "open on Tuesdays"; one that meets on day 15 of the month is open on the 15th."""
    from datetime import datetime
    from search import run_search
    from search.filters import LONDON
    from search.query import SearchQuery

    def names(**kw):
        return [h.name for h in run_search(SearchQuery(where="SK5", radius_km=10.0, per_page=100, **kw)).hits]

    def open_now(now):
        q = SearchQuery(where="SK5", radius_km=10.0, open_now=True, per_page=100)
        return [h.name for h in run_search(q, now=now).hits]
    walk = db.session.scalar(select(Service).where(Service.name == "Reddish Vale Walking Group"))
    curator = make_user("curator")
    workflow.edit_listing(curator, walk.id, {"schedules": [
        schedules.as_value("service", {"freq": "MONTHLY", "byday": "2TU", "opens_at": "18:00", "closes_at": "20:00"}),
        schedules.as_value("service", {"freq": "MONTHLY", "bymonthday": "15", "opens_at": "09:00",
                                       "closes_at": "10:00"})]})
    db.session.flush()
    assert walk.name in open_now(datetime(2026, 12, 8, 18, 30, tzinfo=LONDON))      # the second Tuesday
    assert walk.name not in open_now(datetime(2026, 12, 1, 18, 30, tzinfo=LONDON))  # the first
    assert walk.name not in open_now(datetime(2026, 12, 8, 21, 0, tzinfo=LONDON))   # after it ends
    assert walk.name in open_now(datetime(2026, 12, 15, 9, 30, tzinfo=LONDON))      # day 15 (a Tuesday too)
    assert walk.name in open_now(datetime(2027, 1, 15, 9, 30, tzinfo=LONDON))       # day 15, a Friday
    assert walk.name in names(open_day="TU", open_time="18:30")
    assert walk.name not in names(open_day="WE")

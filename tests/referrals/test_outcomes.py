"""Outcomes: ONS4 answers and their bands, SWEMWBS and its conversion table, the record's chart
and table, needs with no service found, and the code the GP record needs when a case closes."""
from __future__ import annotations

from datetime import date

import pytest
from marshmallow import ValidationError

from assets_hub.db import db
from assets_hub.errors import Forbidden, Invalid, NotFound, Unauthorised
from assets_hub.referrals import outcomes, services
from assets_hub.referrals.models import Need, Outcome
from assets_hub.referrals.vocab import SWEMWBS_METRIC, ons4_band
from tests.conftest import csrf_token
from tests.factories import UserFactory
from tests.referrals.conftest import bearer
from tests.referrals.test_lifecycle import walk_to

# Every score's band, written out from DOMAIN.md (not computed the way the code computes it).
WELLBEING = ["Low"] * 5 + ["Medium"] * 2 + ["High"] * 2 + ["Very high"] * 2
ANXIETY = ["Very low"] * 2 + ["Low"] * 2 + ["Medium"] * 2 + ["High"] * 5


@pytest.mark.parametrize("score", range(11))
def test_ons4_band_at_every_score(score):
    for question in ("life_satisfaction", "worthwhile", "happy"):
        assert ons4_band(question, score) == WELLBEING[score]
    assert ons4_band("anxious", score) == ANXIETY[score]


def test_ons4_band_refuses_a_score_off_the_scale():
    for bad in (-1, 11):
        with pytest.raises(ValueError):
            ons4_band("happy", bad)


def ons4(stage="start", on=None, **answers):
    values = {"tool": "ons4", "stage": stage, "taken_on": (on or date.today()).isoformat(),
              "life_satisfaction": 4, "worthwhile": 5, "happy": 6, "anxious": 7}
    values.update(answers)
    return values


def swemwbs(raw, stage="start"):
    """Seven answers 1-5 adding up to ``raw``."""
    items, left = [], raw
    for i in range(7):
        value = min(5, left - (6 - i))
        items.append(value)
        left -= value
    assert sum(items) == raw and all(1 <= v <= 5 for v in items)
    return {"tool": "swemwbs", "stage": stage, "taken_on": date.today().isoformat(),
            **{f"item{i + 1}": v for i, v in enumerate(items)}}


@pytest.fixture
def both_measures(ctx):
    ctx.config["OUTCOME_MEASURES"] = "ons4,swemwbs"
    yield
    ctx.config["OUTCOME_MEASURES"] = "ons4"


def test_swemwbs_every_raw_score_gets_its_metric_score(make_referral, worker, both_measures):
    referral = make_referral()
    expected = {7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75, 14: 15.32, 15: 15.84,
                16: 16.36, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25, 22: 19.98, 23: 20.73, 24: 21.54,
                25: 22.35, 26: 23.21, 27: 24.11, 28: 25.03, 29: 26.02, 30: 27.03, 31: 28.13, 32: 29.31,
                33: 30.70, 34: 32.55, 35: 35.00}
    assert SWEMWBS_METRIC == expected
    for raw in range(7, 36):
        measure = outcomes.record_measure(worker, referral.id, swemwbs(raw))
        assert (measure.swemwbs_raw, measure.swemwbs_metric) == (raw, expected[raw])
    db.session.commit()
    stored = {m.swemwbs_raw: m.swemwbs_metric for m in outcomes.series_for(referral.id)[0].takings}
    assert stored == expected


def test_a_bad_answer_is_named_and_nothing_is_written(make_referral, worker, both_measures):
    referral = make_referral()
    with pytest.raises(ValidationError) as err:
        outcomes.record_measure(worker, referral.id, ons4(happy=11, anxious=None))
    assert set(err.value.messages) == {"happy", "anxious"}
    with pytest.raises(ValidationError) as err:
        outcomes.record_measure(worker, referral.id, {**swemwbs(20), "item3": 0})
    assert set(err.value.messages) == {"item3"}
    with pytest.raises(ValidationError) as err:
        outcomes.record_measure(worker, referral.id, ons4(on=date(2999, 1, 1)))
    assert set(err.value.messages) == {"taken_on"}
    assert outcomes.series_for(referral.id) == []


def test_a_measure_switched_off_is_refused(make_referral, worker):
    referral = make_referral()
    with pytest.raises(Invalid) as err:
        outcomes.record_measure(worker, referral.id, swemwbs(20))
    assert "tool" in err.value.fields


def test_who_may_record_a_measure(make_referral, worker, referrer, ctx):
    referral = make_referral()
    outsider = UserFactory(role="link_worker")  # in no team
    for actor, error in ((None, Unauthorised), (referrer, Forbidden), (outsider, NotFound),
                         (UserFactory(role="curator"), Forbidden), (UserFactory(role="commissioner"), Forbidden),
                         (UserFactory(role="provider"), Forbidden)):
        with pytest.raises(error):
            outcomes.record_measure(actor, referral.id, ons4())
    assert outcomes.record_measure(worker, referral.id, ons4()).life_satisfaction == 4
    assert outcomes.record_measure(UserFactory(role="admin"), referral.id, ons4(stage="end")).stage == "end"


def test_the_record_shows_each_measure_with_its_band_chart_and_change(client, make_referral, worker, sign_in,
                                                                     both_measures):
    referral = make_referral()
    sign_in(worker)
    url = f"/referrals/{referral.id}"
    token = csrf_token(client)
    assert client.post(f"{url}/measures", data={"csrf_token": token, **ons4(on=date(2026, 1, 5))}).status_code == 302
    end = ons4(stage="end", life_satisfaction=8, worthwhile=5, happy=9, anxious=2)
    assert client.post(f"{url}/measures", data={"csrf_token": token, **end}).status_code == 302
    assert client.post(f"{url}/measures", data={"csrf_token": token, **swemwbs(19)}).status_code == 302
    assert client.post(f"{url}/measures", data={"csrf_token": token, **swemwbs(24, "end")}).status_code == 302
    page = client.get(url).text
    assert 'id="chart-ons4-title"' in page and 'id="chart-swemwbs-title"' in page
    assert "4 <span class=\"meta\">(Low)</span>" in page and "2 <span class=\"meta\">(Low)</span>" in page
    assert "7 <span class=\"meta\">(High)</span>" in page  # anxiety 7 at the start: high
    assert "Life satisfaction: +4 (better)" in page and "Anxiety: -5 (better)" in page
    assert "Worthwhile: +0 (no change)" in page
    # SWEMWBS 19 -> 24: 17.98 -> 21.54, a change of 3.56 points: meaningful
    assert "17.98" in page and "21.54" in page and "SWEMWBS metric score: +3.56 (meaningful improvement)" in page
    # a bad answer re-shows the page, naming the question
    bad = client.post(f"{url}/measures", data={"csrf_token": token, **ons4(worthwhile="12")})
    assert bad.status_code == 422 and "From 0 to 10." in bad.text and 'id="ons4-worthwhile-error"' in bad.text


def test_swemwbs_small_changes_are_called_what_they_are():
    assert outcomes.swemwbs_meaning(3.0) == "meaningful improvement"
    assert outcomes.swemwbs_meaning(-3.2) == "meaningful fall"
    assert outcomes.swemwbs_meaning(1.5).startswith("may be a meaningful improvement")
    assert outcomes.swemwbs_meaning(0.5) == "no meaningful change"


def test_a_need_with_no_service_found_is_marked_and_unmarked(client, make_referral, worker, sign_in):
    referral = make_referral()
    need_id = referral.needs[0].id
    sign_in(worker)
    url = f"/referrals/{referral.id}/needs/{need_id}/unmet"
    assert client.post(url, data={"csrf_token": csrf_token(client), "unmet": "yes"}).status_code == 302
    assert db.session.get(Need, need_id, populate_existing=True).unmet is True
    assert "No service found</strong>" in client.get(f"/referrals/{referral.id}").text
    assert client.post(url, data={"csrf_token": csrf_token(client), "unmet": "no"}).status_code == 302
    assert db.session.get(Need, need_id, populate_existing=True).unmet is False
    other = client.post(f"/referrals/{referral.id}/needs/{referral.id}/unmet",
                        data={"csrf_token": csrf_token(client), "unmet": "yes"})
    assert other.status_code == 422 and "not recorded for this person" in other.text


@pytest.mark.parametrize("path,reason,code", [
    ("supported", "discharged", "871731000000106"),
    ("first_appointment", "moved_away", "871731000000106"),
    ("contacted", "declined", "871711000000103"),
    ("received", "declined", "871711000000103"),
    ("contacted", "could_not_contact", None),
])
def test_closing_gives_the_gp_record_its_code(client, make_referral, worker, referrer, sign_in, token_for,
                                             path, reason, code):
    referral = make_referral()
    if path != "received":
        walk_to(worker, referral, path)
    services.move(worker, referral.id, "closed", reason)
    db.session.commit()
    sign_in(worker)
    page = client.get(f"/referrals/{referral.id}").text
    status = client.get(f"/api/referrals/{referral.id}", headers=bearer(token_for(referrer))).get_json()
    assert status["outcome"]["closed_reason"] == reason
    sign_in(referrer)
    their_page = client.get(f"/referrals/{referral.id}").text  # the referrer's status page
    if code:
        term = "Referral to social prescribing service" if code.startswith("87173") else "Social prescribing declined"
        for shown in (page, their_page):
            assert f'<code id="snomed-code">{code}</code>' in shown and f'value="{code} {term}"' in shown
        assert status["outcome"]["snomed"] == {"code": code, "term": term}
    else:
        assert "snomed-code" not in page and "snomed-code" not in their_page
        assert status["outcome"]["snomed"] is None and "No code" in their_page


def test_an_open_referral_has_no_outcome_yet(client, make_referral, referrer, token_for):
    referral = make_referral()
    status = client.get(f"/api/referrals/{referral.id}", headers=bearer(token_for(referrer))).get_json()
    assert status["outcome"] is None


def test_the_start_is_the_first_start_and_the_end_the_last_end_whatever_order_they_come_in(make_referral, worker):
    referral = make_referral()
    for stage, on, happy in (("start", date(2026, 3, 1), 5), ("start", date(2026, 2, 1), 2),  # earlier, typed later
                             ("during", date(2026, 4, 1), 9), ("end", date(2026, 6, 1), 8),
                             ("end", date(2026, 5, 1), 1)):  # an earlier end, typed later: not the end
        outcomes.record_measure(worker, referral.id, ons4(stage=stage, on=on, happy=happy))
    db.session.commit()
    pair = db.session.get(Outcome, (referral.id, "ons4"))
    assert (pair.start_on, pair.start_happy, pair.end_on, pair.end_happy) == (date(2026, 2, 1), 2, date(2026, 6, 1), 8)
    [series] = outcomes.series_for(referral.id)
    assert series.start.happy == 2 and series.end.happy == 8  # the record says the same as the report


def test_no_change_is_shown_without_a_start_as_the_report_counts_none(make_referral, worker):
    referral = make_referral()
    outcomes.record_measure(worker, referral.id, ons4(stage="during", on=date(2026, 3, 1)))
    outcomes.record_measure(worker, referral.id, ons4(stage="end", on=date(2026, 4, 1), happy=9))
    [series] = outcomes.series_for(referral.id)
    assert series.start is None and series.changes() == []

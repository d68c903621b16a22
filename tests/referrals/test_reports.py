"""Reports, against figures worked out by hand on a small fixed set of cases (one of them erased,
which must still count), small-number suppression, and who may read which report.

The cases, team A, range 2026-10-01 to 2026-11-30 (r5 arrived before it, r6 is team B's):

    r1 api   P88001  born 1950 (75-84)  loneliness     arrived 10-05, reached 10-07 (2 days);
             taken on by W, supported, closed (discharged) 11-20; signposted to Lunch Club;
             ONS4 start 4/5/6/7, end 8/5/9/2
    r2 self  P88002  born 2000 (25-34)  food, money    arrived 10-20, reached 10-30 (10 days); W;
             contacted (open); referred to Debt Advice, declined; food marked "no service found"
    r3 staff P88001  born 1990 (35-44)  loneliness     arrived 11-03, never reached, open, unassigned
    r4 api   P88001  born 1950 (75-84)  housing        arrived 11-10, reached 11-11 (1 day), closed
             (declined) 11-12, nothing found; then ERASED: its dates move to 11-01, 11-02, 11-03
    r5 api   (outside the range: arrived 09-15), open, W
    r6 team B, arrived 10-10
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest

from assets_hub.db import db
from assets_hub.errors import Forbidden, NotFound, Unauthorised
from assets_hub.ids import new_id
from assets_hub.referrals import outcomes, person_data, reports, services
from assets_hub.referrals.models import OnwardReferral, Referral
from assets_hub.referrals.schemas import ReferralInSchema
from assets_hub.referrals.vocab import age_band
from tests.factories import TeamFactory, TeamMemberFactory, UserFactory, referral_body
from tests.referrals.conftest import bearer
from tests.referrals.test_lifecycle import walk_to

START, END = date(2026, 10, 1), date(2026, 11, 30)


def at(month, day, hour=10):
    return datetime(2026, month, day, hour, tzinfo=timezone.utc)


def _make(actor, team, source, born, ods, gp, needs, received, family="Lovelace"):
    body = referral_body(team.id, person={"given_name": "Ada", "family_name": family, "date_of_birth": born,
                                          "postcode": "SK4 1AA"},
                         gp_practice={"ods_code": ods, "name": gp}, referral={"reason": "Reason", "needs": needs})
    referral = services.create_referral(actor, ReferralInSchema().load(body), source)
    referral.received_at = received  # intake set these from today: as if it had arrived then
    referral.age_band = age_band(date.fromisoformat(born), received.date())
    for need in referral.needs:
        need.received_at = received
    db.session.flush()
    return referral


@pytest.fixture
def cases(ctx, team, worker, lead, referrer):
    r1 = _make(referrer, team, "api", "1950-03-27", "P88001", "Heaton Moor Medical Group", ["loneliness"], at(10, 5))
    r2 = _make(None, team, "self", "2000-01-01", "P88002", "Other Surgery", ["food", "money_debt"], at(10, 20))
    r3 = _make(referrer, team, "staff", "1990-06-15", "P88001", "Heaton Moor Medical Group", ["loneliness"],
               at(11, 3))
    r4 = _make(referrer, team, "api", "1950-05-01", "P88001", "Heaton Moor Medical Group", ["housing"], at(11, 10),
               family="Byron")
    r5 = _make(referrer, team, "api", "1960-01-01", "P88001", "Heaton Moor Medical Group", ["food"], at(9, 15))
    other = TeamFactory()
    _make(referrer, other, "api", "1970-01-01", "P88001", "Heaton Moor Medical Group", ["food"], at(10, 10))
    for r in (r1, r2, r5):
        services.take_on(worker, r.id)
    db.session.add(OnwardReferral(referral_id=r1.id, service_id=new_id(), service_name="Lunch Club", kind="signpost",
                                  status="signposted", sent_at=at(10, 8)))  # (while open, as a link worker does)
    walk_to(worker, r1, "closed")
    r1.first_contact_at, r1.closed_at = at(10, 7, 0), at(11, 20)
    outcomes.record_measure(worker, r1.id, {"tool": "ons4", "stage": "start", "taken_on": "2026-10-07",
                                            "life_satisfaction": 4, "worthwhile": 5, "happy": 6, "anxious": 7})
    outcomes.record_measure(worker, r1.id, {"tool": "ons4", "stage": "end", "taken_on": "2026-11-20",
                                            "life_satisfaction": 8, "worthwhile": 5, "happy": 9, "anxious": 2})
    services.move(worker, r2.id, "contacted")
    r2.first_contact_at = at(10, 30, 0)
    db.session.add(OnwardReferral(referral_id=r2.id, service_id=new_id(), service_name="Debt Advice", kind="referral",
                                  status="declined", sent_at=at(10, 31), answered_at=at(11, 2)))
    food = next(n for n in r2.needs if n.code == "food")
    outcomes.mark_unmet(worker, r2.id, food.id, True)
    services.move(worker, r4.id, "contacted")
    services.move(worker, r4.id, "closed", "declined")
    r4.first_contact_at, r4.closed_at = at(11, 11, 0), at(11, 12)
    db.session.flush()
    person_data.erase(lead, r4.id, "Byron")
    db.session.commit()
    return {"r1": r1, "r2": r2, "r3": r3, "r4": r4, "r5": r5, "other": other}


def rows(actor, name, **kwargs):
    result, _ = reports.report(actor, name, kwargs.get("team_id"), START, END)
    return result


def test_the_erased_case_is_anonymous_and_still_counted(cases):
    r4 = db.session.get(Referral, cases["r4"].id)
    assert r4.person_id is None and r4.received_at.date() == date(2026, 11, 1)
    assert r4.first_contact_at.date() == date(2026, 11, 2) and r4.closed_at.date() == date(2026, 11, 3)


def test_referrals_by_month_source_practice_age_and_need(cases, lead):
    by_month = rows(lead, "by_month")
    assert by_month.rows == [["2026-10", 2], ["2026-11", 2]] and by_month.total == ["Total", 4]
    assert rows(lead, "by_source").rows == [["Staff referral", 1], ["Self-referral", 1],
                                           ["From another system", 2]]
    assert rows(lead, "by_practice").rows == [["Heaton Moor Medical Group (P88001)", 3], ["Other Surgery (P88002)", 1]]
    ages = dict(map(tuple, rows(lead, "by_age").rows))
    assert ages == {"0-17": 0, "18-24": 0, "25-34": 1, "35-44": 1, "45-54": 0, "55-64": 0, "65-74": 0, "75-84": 2,
                    "85+": 0}
    assert rows(lead, "by_need").rows == [["Loneliness or social isolation", 2], ["Not enough food", 1],
                                          ["Housing problems", 1], ["Money worries or debt", 1]]


def test_caseload_waiting_onward_outcomes_and_unmet(cases, lead, worker):
    caseload = rows(lead, "caseload")
    assert caseload.rows == [[worker.display_name, 2, 2, 1], ["Not assigned yet", 1, 2, 1]]
    assert caseload.total == ["Total", 3, 4, 2]
    # waiting: 2, 10 and 1 days (the erased case's dates moved together); median 2; p90 2 + 0.8 * 8
    assert rows(lead, "waiting").rows == [[3, 2.0, 8.4, 1]]
    assert rows(lead, "onward").rows == [["Debt Advice", 0, 1, 0, 0, 1, 0, 0.0, 0, 0, None],
                                         ["Lunch Club", 1, 0, 0, 0, 0, 0, None, 0, 0, None]]
    assert rows(lead, "outcomes").rows == [
        ["ONS4: Life satisfaction", 1, 4.0, 1, 100.0], ["ONS4: Worthwhile", 1, 0.0, 0, 0.0],
        ["ONS4: Happiness", 1, 3.0, 1, 100.0], ["ONS4: Anxiety", 1, -5.0, 1, 100.0],
        ["SWEMWBS: metric score", 0, None, 0, None]]
    unmet = rows(lead, "unmet").rows
    assert sorted((need, n) for _, need, n in unmet) == [("Housing problems", 1), ("Not enough food", 1)]


def test_team_filter_and_range(cases, lead, ctx):
    admin = UserFactory(role="admin")
    assert rows(admin, "by_month").total == ["Total", 5]  # every team: team B's case too
    assert rows(admin, "by_month", team_id=cases["other"].id).total == ["Total", 1]
    result, _ = reports.report(lead, "by_month", None, date(2026, 11, 1), date(2026, 11, 30))
    assert result.rows == [["2026-11", 2]]


def test_commissioners_see_small_numbers_suppressed(cases, ctx):
    commissioner = UserFactory(role="commissioner")
    by_month = rows(commissioner, "by_month")
    assert by_month.rows == [["2026-10", "fewer than 5"], ["2026-11", "fewer than 5"]]
    assert by_month.total == ["Total", 5]
    waiting = rows(commissioner, "waiting")
    assert waiting.rows == [["fewer than 5", "fewer than 5", "fewer than 5", "fewer than 5"]]


def _report(counts, total=True):
    report = reports.Report("t", "T", [reports.Column("group", "Group", "label"), reports.Column("n", "N")])
    report.rows = [[f"g{i}", n] for i, n in enumerate(counts)]
    report.total = ["Total", sum(counts)] if total else None
    return report


@pytest.mark.parametrize("counts,shown,total", [
    ([0, 5, 12], [0, 5, 12], 17),  # nothing small: all shown, zero too
    ([3, 5, 12], ["fewer than 5", "not shown", 12], 20),  # one small: the next smallest is withheld too
    ([3, 4, 12], ["fewer than 5", "fewer than 5", 12], 19),  # two small: each hides the other
    ([1, 0, 0], ["fewer than 5", 0, 0], "fewer than 5"),  # a small total is suppressed itself
])
def test_suppression_rules(counts, shown, total):
    report = _report(counts)
    reports.suppress(report)
    assert [r[1] for r in report.rows] == shown and report.total[1] == total


def test_suppression_without_a_total_withholds_nothing_more():
    report = _report([3, 5], total=False)
    reports.suppress(report)
    assert [r[1] for r in report.rows] == ["fewer than 5", 5]


@pytest.mark.parametrize("role,error", [(None, Unauthorised), ("referrer", Forbidden), ("provider", Forbidden),
                                        ("curator", Forbidden), ("member", Forbidden),
                                        ("timebank_coordinator", Forbidden)])
@pytest.mark.parametrize("name", list(reports.REPORTS))
def test_who_may_not_read_each_report(ctx, team, name, role, error):
    actor = UserFactory(role=role) if role else None
    with pytest.raises(error):
        reports.report(actor, name)


@pytest.mark.parametrize("name", list(reports.REPORTS))
def test_who_may_read_each_report(ctx, team, worker, lead, name):
    outsider = UserFactory(role="link_worker")  # in no team
    for actor in (worker, lead, UserFactory(role="admin"), UserFactory(role="commissioner")):
        result, scope = reports.report(actor, name)
        assert result.name == name and scope.suppressed == (actor.role == "commissioner")
    with pytest.raises(NotFound):
        reports.report(outsider, name)
    other = TeamFactory()
    TeamMemberFactory(team=other, user_id=outsider.id)
    with pytest.raises(NotFound):  # a team that is not theirs
        reports.report(outsider, name, team.id)


def test_page_csv_and_api_agree(client, cases, lead, sign_in, token_for):
    sign_in(lead)
    query = "from=2026-10-01&to=2026-11-30"
    page = client.get(f"/reports/by_source?{query}")
    assert page.status_code == 200 and 'id="report-chart-title"' not in page.text  # no chart for sources
    assert "<th scope=\"row\">From another system</th><td>2</td>" in page.text
    download = client.get(f"/reports/by_source?{query}&format=csv")
    assert download.mimetype == "text/csv"
    assert list(csv.reader(io.StringIO(download.text))) == [
        ["Source", "Referrals"], ["Staff referral", "1"], ["Self-referral", "1"], ["From another system", "2"],
        ["Total", "4"]]
    api = client.get(f"/api/reports/by_source?{query}", headers=bearer(token_for(lead))).get_json()
    assert api["rows"] == [{"group": "Staff referral", "referrals": 1}, {"group": "Self-referral", "referrals": 1},
                           {"group": "From another system", "referrals": 2}]
    assert api["total"] == {"group": "Total", "referrals": 4} and api["suppressed"] is False
    monthly = client.get(f"/reports/by_month?{query}").text
    assert 'id="report-chart-title"' in monthly and "<th scope=\"row\">2026-11</th><td>2</td>" in monthly


def test_bad_dates_and_unknown_reports_are_named(client, team, lead, sign_in, token_for):
    sign_in(lead)
    bad = client.get("/reports/by_month?from=yesterday")
    assert bad.status_code == 422 and 'id="from-error"' in bad.text
    backwards = client.get("/api/reports/by_month?from=2026-11-01&to=2026-10-01", headers=bearer(token_for(lead)))
    assert backwards.status_code == 422 and "from" in backwards.get_json()["error"]["fields"]
    assert client.get("/reports/nothing").status_code == 404
    referrer = UserFactory(role="referrer")
    db.session.commit()
    assert client.get("/api/reports/by_month", headers=bearer(token_for(referrer))).status_code == 403


def test_curators_see_gaps_in_the_directory_without_personal_data(client, cases, sign_in, ctx):
    curator = UserFactory(role="curator")
    db.session.commit()
    gaps = reports.directory_gaps(curator, START, END)
    assert sorted((need, category, n) for _, need, category, n in gaps) == [
        ("Housing problems", "housing", "fewer than 5"), ("Not enough food", "food", "fewer than 5")]
    with pytest.raises(Forbidden):
        reports.directory_gaps(UserFactory(role="link_worker"))
    sign_in(curator)
    page = client.get("/curation").text
    assert 'id="gaps-table"' in page and "Not enough food" in page and "fewer than 5" in page
    assert "Lovelace" not in page and "Byron" not in page


def test_suppression_within_a_row_and_of_figures_that_would_give_a_count_away():
    report = reports.Report("onward", "O", [
        reports.Column("service", "Service", "label"), reports.Column("referred", "Referred"),
        reports.Column("waiting", "Waiting"), reports.Column("accepted", "Accepted"),
        reports.Column("declined", "Declined"), reports.Column("expired", "Expired"),
        reports.Column("rate", "Acceptance rate", "figure", base="referred")],
        row_sums=[("referred", ["waiting", "accepted", "declined", "expired"])])
    report.rows = [["A", 20, 0, 9, 3, 8, 45.0], ["B", 30, 10, 10, 5, 5, 50.0]]
    reports.suppress(report)
    # A: declined 3 is hidden, and referred 20 - 9 - 8 would give it away: expired (next smallest
    # shown after it) is withheld too, and the rate (accepted of answered) with them
    assert report.rows[0] == ["A", 20, 0, 9, "fewer than 5", "not shown", "not shown"]
    assert report.rows[1] == ["B", 30, 10, 10, 5, 5, 50.0]


@pytest.mark.parametrize("values", [[1], [1, 2], [2, 10, 1], [0, 0, 0, 5, 7, 7, 30], list(range(0, 100, 3))])
def test_percentiles_from_a_histogram_match_percentile_cont(values):
    """Linear interpolation between closest ranks, worked out the textbook way on the list itself."""
    ordered = sorted(values)
    histogram = sorted({v: ordered.count(v) for v in ordered}.items())
    for p in (0.5, 0.9):
        at = p * (len(ordered) - 1)
        low, high = ordered[int(at)], ordered[min(int(at) + 1, len(ordered) - 1)]
        assert reports._percentile([(float(v), n) for v, n in histogram], p) == pytest.approx(low + (high - low) * (at - int(at)))


def test_a_closed_case_knows_whether_anything_was_found_as_answers_come_in(make_referral, worker, lead):
    from datetime import timedelta
    from assets_hub.db import utcnow
    from assets_hub.referrals import onward
    referral = make_referral()
    sent = OnwardReferral(referral_id=referral.id, service_id=new_id(), service_name="Walk and Talk",
                          kind="referral", status="sent", sent_at=utcnow() - timedelta(days=20),
                          expires_at=utcnow() - timedelta(days=6))
    db.session.add(sent)
    services.move(worker, referral.id, "closed", "discharged")
    assert referral.nothing_found is False  # a referral still waiting for its answer
    assert ["Loneliness or social isolation"] not in [r[1:2] for r in rows(lead, "unmet").rows]
    assert onward.expire_due()["expired"] == 1  # nobody answered: nothing was found after all
    db.session.commit()
    assert db.session.get(Referral, referral.id).nothing_found is True
    result, _ = reports.report(lead, "unmet")
    assert [r[1:] for r in result.rows] == [["Loneliness or social isolation", 1]]

"""Claims, the review queue, reports and suggestions: each step, and who may do it (every role)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory.models import Service
from assets_hub.errors import Conflict, Forbidden, Invalid, Unauthorised
from curation import history, suggestions, workflow
from curation.models import Suggestion
from tests.conftest import ROLES, csrf_token


def service() -> Service:
    return db.session.scalar(select(Service).where(Service.name == "Heatons Befriending Circle"))


def confirmed_provider(make_user, trusted=False):
    provider, curator = make_user("provider"), make_user("curator")
    claim = workflow.request_claim(provider, service_id=service().id, message="I run it")
    workflow.decide_claim(curator, claim.id, "confirm", trusted=trusted)
    return provider, curator, claim


@pytest.mark.parametrize("role", ROLES)
def test_who_may_claim(ctx, make_user, role, smtp):
    user = make_user(role)
    if role in ("provider", "admin"):
        claim = workflow.request_claim(user, service_id=service().id)
        assert claim.status == "requested"
    else:
        with pytest.raises(Forbidden):
            workflow.request_claim(user, service_id=service().id)
    with pytest.raises(Unauthorised):
        workflow.request_claim(None, service_id=service().id)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_decide_claims(ctx, make_user, role, smtp):
    claim = workflow.request_claim(make_user("provider"), service_id=service().id)
    user = make_user(role)
    if role in ("admin", "curator"):
        assert workflow.decide_claim(user, claim.id, "confirm").status == "confirmed"
    else:
        with pytest.raises(Forbidden):
            workflow.decide_claim(user, claim.id, "confirm")


def test_claims_several_claimants_one_lead_deny_and_revoke_with_reasons(ctx, make_user, smtp):
    curator = make_user("curator")
    first, second, third = make_user("provider"), make_user("provider"), make_user("provider")
    a = workflow.request_claim(first, service_id=service().id)
    with pytest.raises(Conflict):
        workflow.request_claim(first, service_id=service().id)  # asked already
    b = workflow.request_claim(second, service_id=service().id)
    c = workflow.request_claim(third, service_id=service().id)
    workflow.decide_claim(curator, a.id, "confirm")
    workflow.decide_claim(curator, b.id, "confirm")
    assert a.is_lead and not b.is_lead
    with pytest.raises(Invalid):
        workflow.decide_claim(curator, c.id, "deny")  # a reason is needed
    workflow.decide_claim(curator, c.id, "deny", reason="Not on the charity's staff list")
    assert c.status == "denied"
    assert "Not on the charity's staff list" in smtp.messages[-1].get_payload(decode=True).decode()
    workflow.decide_claim(curator, a.id, "revoke", reason="Left the organisation")
    assert a.status == "revoked" and not a.is_lead and b.is_lead  # the lead passes on
    assert workflow.active_claim(first, service()) is None and workflow.active_claim(second, service()) is not None


def test_a_claimants_edit_waits_until_a_curator_publishes_it(ctx, make_user, smtp):
    provider, curator, _ = confirmed_provider(make_user)
    sid = service().id
    change = workflow.propose_update(provider, sid, {"name": "Heatons Befriending Circle (Tuesdays)"}, ["name"])
    assert change.status == "pending"
    assert db.session.get(Service, sid).name == "Heatons Befriending Circle"  # the published one stays live
    assert ctx.test_client().get(f"/api/v3/services/{sid}").json["name"] == "Heatons Befriending Circle"
    assert [c.id for c in workflow.queue()] == [change.id]
    workflow.approve(curator, change.id)
    assert db.session.get(Service, sid).name == "Heatons Befriending Circle (Tuesdays)"
    latest = history.versions(sid)[0].version
    assert "Proposed by Test provider (provider), approved by Test curator (curator)" == latest.note
    assert smtp.messages[-1]["Subject"].startswith("Published:")
    with pytest.raises(Conflict):
        workflow.approve(curator, change.id)


def test_send_back_with_a_reason_the_submitter_sees(client, make_user, login_as, smtp):
    curator = make_user("curator")
    provider = login_as("provider")
    claim = workflow.request_claim(provider, service_id=service().id)
    workflow.decide_claim(curator, claim.id, "confirm")
    change = workflow.propose_update(provider, service().id, {"name": "BEST BEFRIENDING!!!"}, ["name"])
    with pytest.raises(Invalid):
        workflow.send_back(curator, change.id, "  ")
    workflow.send_back(curator, change.id, "Please keep the name as the group uses it.")
    assert service().name == "Heatons Befriending Circle"
    page = client.get("/my/listings").text
    assert "sent back" in page and "Please keep the name as the group uses it." in page
    assert "Please keep the name" in smtp.messages[-1].get_payload(decode=True).decode()


def test_a_trusted_claimant_publishes_directly(ctx, make_user, smtp):
    provider, _, _ = confirmed_provider(make_user, trusted=True)
    sid = service().id
    outcome = workflow.propose_update(provider, sid, {"name": "Heatons Befrienders"}, ["name"])
    assert isinstance(outcome, Service) and db.session.get(Service, sid).name == "Heatons Befrienders"
    assert history.versions(sid)[0].version.updated_by == "Test provider (trusted provider)"


@pytest.mark.parametrize("role", ROLES)
def test_who_may_propose_and_approve(ctx, make_user, role, smtp):
    provider, curator, _ = confirmed_provider(make_user)
    user = make_user(role)
    if role in ("admin", "curator"):
        with pytest.raises(Invalid):  # curators edit directly, not through the queue
            workflow.propose_update(user, service().id, {"name": "X"}, ["name"])
    else:
        with pytest.raises(Forbidden):  # no claim on this listing
            workflow.propose_update(user, service().id, {"name": "X"}, ["name"])
    change = workflow.propose_update(provider, service().id, {"name": "Y"}, ["name"])
    if role in ("admin", "curator"):
        workflow.send_back(user, change.id, "No")
    else:
        with pytest.raises(Forbidden):
            workflow.approve(user, change.id)
        with pytest.raises(Forbidden):
            workflow.send_back(user, change.id, "No")
    with pytest.raises(Unauthorised):
        workflow.approve(None, change.id)


def test_a_bad_proposal_names_the_field(ctx, make_user, smtp):
    provider, _, _ = confirmed_provider(make_user)
    with pytest.raises(Invalid) as err:
        workflow.propose_update(provider, service().id, {"minimum_age": "ninety"}, ["minimum_age"])
    assert "minimum_age" in err.value.fields


def test_report_a_problem_and_resolve_it_emails_the_reporter(client, make_user, smtp):
    sid = service().id
    form = client.get(f"/services/{sid}/report")
    assert form.status_code == 200 and "What is wrong?" in form.text
    missing = client.post(f"/services/{sid}/report", data={"csrf_token": csrf_token(client), "kind": "closed",
                                                            "details": "It closed in May."})
    assert missing.status_code == 422 and "Enter your email address" in missing.text
    ok = client.post(f"/services/{sid}/report", data={"csrf_token": csrf_token(client), "kind": "closed",
                                                       "details": "It closed in May.", "email": "neighbour@example.org"})
    assert ok.status_code == 302
    found = db.session.scalar(select(Suggestion).where(Suggestion.service_id == sid))
    assert found.kind == "closed" and found.email == "neighbour@example.org"
    curator = make_user("curator")
    with pytest.raises(Invalid):
        suggestions.resolve(curator, found.id, "")
    suggestions.resolve(curator, found.id, "Marked the service as closed.")
    msg = smtp.messages[-1]
    assert msg["To"] == "neighbour@example.org"
    assert "Marked the service as closed." in msg.get_payload(decode=True).decode()
    with pytest.raises(Conflict):
        suggestions.resolve(curator, found.id, "again")


@pytest.mark.parametrize("role", ROLES)
def test_who_may_resolve_suggestions(ctx, make_user, role, smtp):
    s = suggestions.suggest_service(None, "Knit and natter", "Tuesdays at the library", "a@example.org")
    user = make_user(role)
    if role in ("admin", "curator"):
        assert suggestions.resolve(user, s.id, "Added").status == "resolved"
    else:
        with pytest.raises(Forbidden):
            suggestions.resolve(user, s.id, "Added")


def test_suggest_a_service_signed_in_needs_no_email(client, login_as):
    login_as("member")
    response = client.post("/suggest", data={"csrf_token": csrf_token(client), "name": "Knit and natter",
                                             "details": "Tuesdays at Heaton Moor library"})
    assert response.status_code == 302
    bad = client.post("/suggest", data={"csrf_token": csrf_token(client), "name": "", "details": ""})
    assert bad.status_code == 422 and "Enter the name." in bad.text


@pytest.mark.parametrize("role", ROLES)
def test_dashboard_and_csv_for_curators_only(client, login_as, role):
    login_as(role)
    page = client.get("/curation")
    csv_ = client.get("/curation/services.csv")
    area = client.get("/curation/areas/E08000007")
    if role in ("admin", "curator"):
        assert page.status_code == 200 and "Changes waiting for you" in page.text
        assert csv_.status_code == 200 and csv_.text.startswith("id,name,organization")
        assert "Heatons Befriending Circle" in csv_.text
        assert area.status_code == 200 and "Heatons Befriending Circle" in area.text
    else:
        assert page.status_code == 403 and csv_.status_code == 403 and area.status_code == 403


def test_dashboard_shows_what_waits(client, make_user, login_as, smtp):
    provider = make_user("provider")
    claim = workflow.request_claim(provider, service_id=service().id, message="I coordinate the volunteers")
    suggestions.report_problem(None, service().id, "contact_wrong", "The phone number rings out.", "x@example.org")
    claimant, _, _ = confirmed_provider(make_user)
    workflow.propose_update(claimant, service().id, {"fees_description": "Free, donations welcome"},
                            ["fees_description"])
    login_as("curator")
    page = client.get("/curation").text
    assert "Proposed by Test provider" in page and "Free, donations welcome" in page
    assert "Listings per local authority" in page
    from curation.dashboard import listings_per_authority
    from assets_hub.directory.services import VISIBLE_STATUSES
    counts = {name: n for name, _, n in listings_per_authority(Service.status.in_(VISIBLE_STATUSES))}
    assert counts["Stockport"] >= 8 and counts["City of Edinburgh"] >= 5  # the example listings and libraries
    assert f'<a href="/curation/areas/E08000007">Stockport</a></td><td>{counts["Stockport"]}</td>' in page
    # the row opens: that council's listings, as many as the table says
    area = client.get("/curation/areas/E08000007").text
    assert "<h1>Listings in Stockport</h1>" in area and "Heatons Befriending Circle" in area
    assert area.count('class="area-listing"') == counts["Stockport"]
    assert client.get("/curation/areas/X99999999").status_code == 404
    assert "claims Heatons Befriending Circle" in page and "I coordinate the volunteers" in page
    assert "The phone number rings out." in page
    response = client.post(f"/curation/claims/{claim.id}", data={"csrf_token": csrf_token(client),
                                                                   "decision": "confirm"})
    assert response.status_code == 302


def org_claimant(make_user):
    provider, curator = make_user("provider"), make_user("curator")
    claim = workflow.request_claim(provider, organization_id=service().organization_id)
    workflow.decide_claim(curator, claim.id, "confirm")
    return provider, curator


def test_a_provider_proposes_a_new_service_for_their_organisation(ctx, make_user, smtp):
    provider, curator = org_claimant(make_user)
    values = {"organization_id": service().organization_id, "name": "Heatons Knit and Natter", "status": "active",
              "description": "Knitting and a chat, Wednesdays.", "postcode": "SK4 2DZ", "address_1": "1 Moor Top",
              "city": "Stockport"}
    change = workflow.propose_new_service(provider, values)
    assert change.kind == "service_create" and change.status == "pending"
    assert db.session.scalar(select(Service.id).where(Service.name == "Heatons Knit and Natter")) is None
    svc = workflow.approve(curator, change.id)
    assert svc.name == "Heatons Knit and Natter"
    assert workflow.active_claim(provider, svc) is not None  # the proposer looks after it
    assert history.versions(svc.id)[0].version.note.startswith("Proposed by Test provider")


def test_new_services_only_for_claimed_organisations(ctx, make_user, smtp):
    provider, _ = org_claimant(make_user)
    other_org = db.session.scalar(select(Service.organization_id).where(
        Service.organization_id != service().organization_id).limit(1))
    with pytest.raises(Forbidden):
        workflow.propose_new_service(provider, {"organization_id": other_org, "name": "X", "status": "active"})
    with pytest.raises(Invalid):
        workflow.propose_new_service(provider, {"organization_id": service().organization_id, "status": "active"})
    with pytest.raises(Forbidden):
        workflow.propose_new_service(make_user("member"), {"organization_id": other_org, "name": "X"})


def test_propose_and_send_back_a_new_service_over_http(client, make_user, login_as, smtp):
    curator = make_user("curator")
    provider = login_as("provider")
    claim = workflow.request_claim(provider, organization_id=service().organization_id)
    workflow.decide_claim(curator, claim.id, "confirm")
    form = client.get("/manage/services/new")
    assert form.status_code == 200 and "A curator checks a new listing" in form.text
    response = client.post("/manage/services/new", data={
        "csrf_token": csrf_token(client), "organization_id": service().organization_id, "status": "active",
        "name": "Heatons Repair Cafe", "description": "Bring broken things."})
    assert response.status_code == 302
    change = workflow.queue()[0]
    workflow.send_back(curator, change.id, "Please add where it meets.")
    page = client.get("/my/listings").text
    assert "New: Heatons Repair Cafe" in page and "Please add where it meets." in page


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://x\")", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"])
def test_csv_cells_that_a_spreadsheet_would_run_are_guarded(client, login_as, name):
    import csv
    import io
    svc = service()
    svc.name = name
    db.session.flush()
    login_as("curator")
    rows = list(csv.reader(io.StringIO(client.get("/curation/services.csv").text)))
    row = next(r for r in rows if r[0] == svc.id)
    assert row[1] == "'" + name
    assert all(cell == "" or cell[0] not in "=+-@\t\r" for r in rows[1:] for cell in r[1:2])


def test_csv_leaves_empty_cells_empty(client, login_as):
    import csv
    import io
    svc = service()
    svc.email = None
    db.session.flush()
    login_as("curator")
    rows = list(csv.reader(io.StringIO(client.get("/curation/services.csv").text)))
    assert next(r for r in rows if r[0] == svc.id)[4] == ""

"""One way to change a listing, that loses nothing: a save made to an older version is refused
with what changed since (forms and PATCH with If-Match); a provider's proposal carries only what
they changed, so approving it keeps later edits; a field changed on both sides is settled by the
curator, never overwritten unseen. Providers can propose through the JSON API too."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from assets_hub.accounts.models import User
from assets_hub.db import db
from assets_hub.directory.models import Location, Organization, Service, ServiceAtLocation
from assets_hub.errors import Conflict
from curation import history, listings, workflow
from curation.models import ListingChange, PendingChange
from curation.services import restore_version
from tests.conftest import csrf_token
from tests.factories import ClaimFactory, OrganizationFactory, ServiceFactory, UserFactory


def form_of(page: str) -> dict:
    """The edit form's hidden version, as the browser would send it back."""
    return {"version": re.search(r'name="version" value="(\d+)"', page).group(1)}


def edit(client, svc, version, **changes):
    values = {"organization_id": svc.organization_id, "name": svc.name, "description": svc.description,
              "status": svc.status, "version": version, "csrf_token": csrf_token(client), **changes}
    return client.post(f"/manage/services/{svc.id}/edit", data=values)


def test_a_stale_form_save_is_refused_with_what_changed_and_keeps_what_was_typed(client, login_as):
    svc = ServiceFactory(name="Reddish Coffee Morning")
    login_as("curator")
    opened = form_of(client.get(f"/manage/services/{svc.id}/edit").text)["version"]
    other = UserFactory(role="curator", display_name="Bea")
    listings.update_service(other, svc.id, {"name": "Reddish Coffee and Chat"})  # saved while the form is open
    db.session.flush()

    refused = edit(client, svc, opened, name="Reddish Coffee Club", description="Now on Thursdays too")
    assert refused.status_code == 409
    assert "Someone changed this listing after you opened it" in refused.text
    assert "name (Bea (curator)" in refused.text  # what changed, and who changed it
    assert "Now on Thursdays too" in refused.text and 'value="Reddish Coffee Club"' in refused.text
    assert db.session.get(Service, svc.id).name == "Reddish Coffee and Chat"  # the other curator's save stands

    again = edit(client, svc, form_of(refused.text)["version"], name="Reddish Coffee Club",
                 description="Now on Thursdays too")  # saved again, having seen theirs
    assert again.status_code == 302
    assert db.session.get(Service, svc.id).name == "Reddish Coffee Club"
    assert [v.version.updated_by for v in history.versions(svc.id)][:2] == ["Test curator (curator)", "Bea (curator)"]


def test_patch_honours_if_match_and_answers_with_an_etag(client, login_as):
    svc = ServiceFactory()
    login_as("curator")
    headers = {"X-CSRF-Token": csrf_token(client)}
    first = client.get(f"/api/directory/services/{svc.id}")
    assert first.headers["ETag"] == '"v0"'
    assert client.get(f"/api/directory/services/{svc.id}", headers={"If-None-Match": '"v0"'}).status_code == 304

    changed = client.patch(f"/api/directory/services/{svc.id}", json={"name": "Knit and Natter"},
                           headers={**headers, "If-Match": '"v0"'})
    assert changed.status_code == 200 and changed.headers["ETag"] == '"v1"'

    stale = client.patch(f"/api/directory/services/{svc.id}", json={"name": "Knitting Circle"},
                         headers={**headers, "If-Match": '"v0"'})
    assert stale.status_code == 412
    assert stale.json["error"]["code"] == "precondition_failed"
    assert "name (Test curator (curator)" in stale.json["error"]["fields"]["version"][0]
    assert db.session.get(Service, svc.id).name == "Knit and Natter"

    unknown = client.patch(f"/api/directory/services/{svc.id}", json={"name": "Knitting Circle"},
                           headers={**headers, "If-Match": '"something-else"'})
    assert unknown.status_code == 412
    plain = client.patch(f"/api/directory/services/{svc.id}", json={"name": "Knitting Circle"}, headers=headers)
    assert plain.status_code == 200 and plain.headers["ETag"] == '"v2"'  # no If-Match: no precondition


def claimant_of(svc):
    """A provider with a confirmed (not trusted) claim on ``svc``."""
    claim = ClaimFactory(service_id=svc.id)
    return db.session.get(User, claim.user_id)


def propose_through_the_form(provider, svc, **changes):
    """What the edit form sends for a provider: every field, some of them changed."""
    values = {**listings.service_form_values(svc), **changes}
    return workflow.edit_listing(provider, svc.id, values)


def test_approving_a_proposal_changes_only_what_the_provider_changed(ctx, smtp):
    svc = ServiceFactory(name="Heaton Chapel Walkers")
    provider = claimant_of(svc)
    outcome = propose_through_the_form(provider, svc, description="Gentle walks every Wednesday at 10.")
    assert not outcome.published and outcome.change.fields == "description"
    curator = UserFactory(role="curator")
    listings.update_service(curator, svc.id, {"name": "Heaton Chapel Wednesday Walkers", "phone": "0161 496 0123"})

    workflow.approve(curator, outcome.change.id)
    after = listings.service_form_values(db.session.get(Service, svc.id))
    assert after["description"] == "Gentle walks every Wednesday at 10."
    assert after["name"] == "Heaton Chapel Wednesday Walkers" and after["phone"] == "0161 496 0123"  # kept


@pytest.mark.parametrize("choice, expected", [("keep", "Walks from the library."), ("take", "Walks from the park.")])
def test_a_field_changed_since_the_proposal_is_a_conflict_the_curator_settles(client, login_as, smtp, choice,
                                                                              expected):
    svc = ServiceFactory()
    provider = claimant_of(svc)
    change = propose_through_the_form(provider, svc, description="Walks from the park.").change
    curator = login_as("curator")
    listings.update_service(curator, svc.id, {"description": "Walks from the library."})
    db.session.flush()

    with pytest.raises(Conflict) as refused:
        workflow.approve(curator, change.id)
    assert "someone changed description" in refused.value.message
    assert db.session.get(PendingChange, change.id).status == "pending"

    board = client.get("/curation").text
    assert "was changed on the listing after this was proposed" in board
    assert 'name="settle_description"' in board and "Walks from the library." in board
    published = client.post(f"/curation/changes/{change.id}/approve",
                            data={"settle_description": choice, "csrf_token": csrf_token(client)})
    assert published.status_code == 302
    assert db.session.get(Service, svc.id).description == expected
    assert db.session.get(PendingChange, change.id).status == "approved"


def test_an_unsettled_conflict_is_shown_on_the_dashboard_not_published(client, login_as, smtp):
    svc = ServiceFactory()
    provider = claimant_of(svc)
    change = propose_through_the_form(provider, svc, name="Proposed name").change
    curator = login_as("curator")
    listings.update_service(curator, svc.id, {"name": "Curator's name"})
    db.session.flush()
    answer = client.post(f"/curation/changes/{change.id}/approve", data={"csrf_token": csrf_token(client)})
    assert answer.status_code == 409
    assert "Choose for each whether to keep what the listing says now" in answer.text
    assert db.session.get(Service, svc.id).name == "Curator's name"


def test_the_dashboard_reads_the_queue_in_the_same_few_statements_however_long_it_is(client, login_as, smtp):
    """Each queued edit is checked for conflicts with its listing as it stands now; the listings
    are read together, so a long queue does not cost a dozen statements an edit."""
    from sqlalchemy import event

    def queue_edits(n):
        for i in range(n):
            svc = ServiceFactory()
            propose_through_the_form(claimant_of(svc), svc, description=f"Proposed description {i}.")
        db.session.flush()

    def statements_for_the_dashboard() -> int:
        seen = []
        engine = db.session.get_bind().engine
        listen = lambda *args: seen.append(args[2])  # noqa: E731 (the statement)
        event.listen(engine, "before_cursor_execute", listen)
        try:
            page = client.get("/curation")
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert page.status_code == 200 and "Proposed description" in page.text
        return len(seen)

    login_as("curator")
    queue_edits(2)
    few = statements_for_the_dashboard()
    queue_edits(6)
    assert statements_for_the_dashboard() == few


def test_a_provider_proposes_through_the_json_api(client, login_as, smtp):
    svc = ServiceFactory(description="Before")
    provider = login_as("provider")
    ClaimFactory(user_id=provider.id, service_id=svc.id)
    db.session.flush()
    headers = {"X-CSRF-Token": csrf_token(client)}
    answer = client.patch(f"/api/directory/services/{svc.id}", json={"description": "After"}, headers=headers)
    assert answer.status_code == 202, answer.text
    assert answer.json["status"] == "pending" and answer.json["fields"] == ["description"]
    assert client.get(f"/api/directory/services/{svc.id}").json["description"] == "Before"
    assert [c.fields for c in workflow.queue() if c.service_id == svc.id] == ["description"]


@pytest.mark.parametrize("role, status", [("member", 403), ("link_worker", 403), ("timebank_coordinator", 403),
                                          ("provider", 403), (None, 401)])
def test_who_may_not_patch_a_listing(client, login_as, role, status):
    svc = ServiceFactory(name="Unchanged")
    if role:
        login_as(role)  # (a provider without a claim on it may not)
    answer = client.patch(f"/api/directory/services/{svc.id}", json={"name": "Changed"},
                          headers={"X-CSRF-Token": csrf_token(client)})
    assert answer.status_code == status
    assert db.session.get(Service, svc.id).name == "Unchanged"


def shared_organisation_listing():
    """A listing whose organisation another listing shares, with version 1 from before the
    organisation was renamed and version 2 after."""
    org = OrganizationFactory(name="Shared Trust")
    mine, theirs = ServiceFactory(organization=org, name="Mine"), ServiceFactory(organization=org, name="Theirs")
    curator = UserFactory(role="curator")
    listings.update_service(curator, mine.id, {"name": "Mine, first"})
    org.name = "Shared Trust CIO"  # (as an organisation's own edit or an import would)
    db.session.flush()
    listings.update_service(curator, mine.id, {"name": "Mine, second"})
    return curator, org, mine, theirs


def test_restoring_a_version_asks_before_changing_what_other_listings_share(client, login_as):
    _, org, mine, theirs = shared_organisation_listing()
    login_as("curator")
    asked = client.post(f"/services/{mine.id}/history/1/restore", data={"csrf_token": csrf_token(client)})
    assert asked.status_code == 409
    assert "would also change what other listings share" in asked.text
    assert "the organisation Shared Trust CIO (name), shared with Theirs" in asked.text
    assert db.session.get(Service, mine.id).name == "Mine, second" and org.name == "Shared Trust CIO"

    only_mine = client.post(f"/services/{mine.id}/history/1/restore",
                            data={"shared": "keep", "csrf_token": csrf_token(client)})
    assert only_mine.status_code == 302
    db.session.expire_all()
    assert db.session.get(Service, mine.id).name == "Mine, first"
    assert db.session.get(Organization, org.id).name == "Shared Trust CIO"  # the other listing's organisation kept


def test_restoring_the_shared_details_too_is_recorded_in_the_organisations_change_log(ctx):
    curator, org, mine, _ = shared_organisation_listing()
    restore_version(curator, mine.id, 1, shared="restore")
    db.session.expire_all()
    assert db.session.get(Organization, org.id).name == "Shared Trust"
    logged = db.session.scalars(select(ListingChange).where(ListingChange.resource_id == org.id,
                                                            ListingChange.last_action_type == "restore")).all()
    assert {c.field_name: c.replacement_value for c in logged}["name"] == "Shared Trust"


def test_restoring_a_shared_place_too_is_recorded_in_the_places_change_log(ctx):
    mine, theirs = ServiceFactory(name="Mine"), ServiceFactory(name="Theirs")
    place = db.session.get(Service, mine.id).service_at_locations[0].location
    db.session.add(ServiceAtLocation(service_id=theirs.id, location_id=place.id))  # they meet there too
    curator = UserFactory(role="curator")
    listings.update_service(curator, mine.id, {"name": "Mine, first"})
    place.name = "Parish hall"  # renamed since version 1 (as an edit of the place would)
    db.session.flush()
    listings.update_service(curator, mine.id, {"name": "Mine, second"})

    with pytest.raises(Conflict) as asked:
        restore_version(curator, mine.id, 1)
    assert "the place Parish hall (name), shared with Theirs" in asked.value.fields["shared"][0]
    restore_version(curator, mine.id, 1, shared="restore")
    db.session.expire_all()
    assert db.session.get(Location, place.id).name == "Church hall"
    logged = db.session.scalars(select(ListingChange).where(ListingChange.resource_id == place.id)).all()
    assert [(c.resource_type, c.field_name, c.previous_value, c.replacement_value) for c in logged] == [
        ("location", "name", "Parish hall", "Church hall")]

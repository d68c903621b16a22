"""Likely duplicates are flagged on create and on import; curators merge (histories kept, old
address redirects) or dismiss; every role checked."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from assets_hub.db import db
from curation import listings
from assets_hub.directory.models import Service
from assets_hub.errors import Conflict, Forbidden, Unauthorised
from curation import duplicates, history
from curation.hsds.importer import import_path
from curation.models import DuplicateFlag
from tests.conftest import ROLES, csrf_token


def befriending() -> Service:
    return db.session.scalar(select(Service).where(Service.name == "Heatons Befriending Circle"))


def create_copy(curator, **changes) -> Service:
    original = befriending()
    loc = original.service_at_locations[0].location
    data = {"organization_id": original.organization_id, "name": "The Heatons Befriending Circle",
            "status": "active", "description": "Friendly visits.", "postcode": loc.postal_code,
            "address_1": "2 Some Road", "city": "Stockport"}
    data.update(changes)
    return listings.create_service(curator, data)


def flags_for(sid):
    return db.session.scalars(select(DuplicateFlag).where(
        (DuplicateFlag.service_id == sid) | (DuplicateFlag.other_id == sid))).all()


def test_similar_name_close_by_is_flagged_on_create(ctx, make_user):
    curator = make_user("curator")
    copy = create_copy(curator)
    found = flags_for(copy.id)
    assert len(found) == 1 and "similar name close by" in found[0].reasons
    assert befriending().id in (found[0].service_id, found[0].other_id)


def test_same_phone_and_same_website_are_flagged(ctx, make_user):
    curator = make_user("curator")
    original = befriending()
    number = original.phones[0].number
    other = create_copy(curator, name="Visiting Friends Scheme", postcode=None, address_1=None, city=None,
                        phone=number.replace(" ", ""))
    assert [f.reasons for f in flags_for(other.id)] == ["same phone number"]
    site = create_copy(curator, name="Totally Different Name", postcode=None, address_1=None, city=None,
                       url="https://www.example.org/some-unique-page/")
    twin = create_copy(curator, name="Another Name Entirely", postcode=None, address_1=None, city=None,
                       url="http://example.org/some-unique-page")
    assert "same website" in flags_for(twin.id)[0].reasons and site.id in (
        flags_for(twin.id)[0].service_id, flags_for(twin.id)[0].other_id)


def test_unrelated_listing_is_not_flagged(ctx, make_user):
    curator = make_user("curator")
    svc = create_copy(curator, name="Brinnington Chess Club", postcode=None, address_1=None, city=None)
    assert flags_for(svc.id) == []


def test_import_flags_duplicates(ctx, tmp_path, client):
    record = client.get(f"/api/v3/services/{befriending().id}").json
    import uuid

    def fresh(node, key=None):
        """New ids for the service and its own rows; the same location, organisation and categories."""
        if isinstance(node, dict):
            keep = key in ("location", "organization", "taxonomy_term")
            return {k: (str(uuid.uuid4()) if k == "id" and not keep else fresh(v, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [fresh(v, key) for v in node]
        return node
    copy = fresh(record)
    for sal in copy["service_at_locations"]:
        sal["location"] = record["service_at_locations"][0]["location"]
        sal["location_id"] = sal["location"]["id"]
    copy["name"] = "Heatons Befriending Circle (copy)"
    (tmp_path / "copy.json").write_text(json.dumps(copy))
    report = import_path(tmp_path / "copy.json")
    assert report.ok and report.created == 1 and report.duplicates == 1, report.lines()
    assert "1 likely duplicate pair(s) flagged" in "\n".join(report.lines())


def test_merge_keeps_both_histories_and_redirects(client, make_user, login_as):
    curator = make_user("curator")
    copy = create_copy(curator, areas="Stockport")
    flag = flags_for(copy.id)[0]
    keep = befriending().id
    login_as("curator")
    response = client.post(f"/curation/duplicates/{flag.id}", data={"csrf_token": csrf_token(client), "keep": keep})
    assert response.status_code == 302
    gone = db.session.get(Service, copy.id)
    assert gone.status == "defunct" and gone.merged_into_id == keep
    moved = client.get(f"/services/{copy.id}")
    assert moved.status_code == 301 and moved.headers["Location"].endswith(f"/services/{keep}")
    assert "Stockport" in [a.name for a in db.session.get(Service, keep).service_areas]
    assert history.versions(keep)[0].version.action == "merge"
    assert [v.version.action for v in history.versions(copy.id)] == ["merge", "create"]
    with pytest.raises(Conflict):
        duplicates.merge(curator, flag.id, keep)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_merge_or_dismiss(ctx, make_user, role):
    copy = create_copy(make_user("curator"))
    flag = flags_for(copy.id)[0]
    user = make_user(role)
    if role in ("admin", "curator"):
        assert duplicates.dismiss(user, flag.id).status == "dismissed"
    else:
        with pytest.raises(Forbidden):
            duplicates.dismiss(user, flag.id)
        with pytest.raises(Forbidden):
            duplicates.merge(user, flag.id, copy.id)
    with pytest.raises(Unauthorised):
        duplicates.merge(None, flag.id, copy.id)


def test_a_merged_or_defunct_listing_cannot_be_the_one_kept(ctx, make_user):
    curator = make_user("curator")
    first = create_copy(curator)
    second = create_copy(curator, name="Heatons Befriending Circle Group")
    pair = next(f for f in flags_for(second.id) if first.id in (f.service_id, f.other_id))
    earlier = next(f for f in flags_for(first.id) if befriending().id in (f.service_id, f.other_id))
    duplicates.merge(curator, earlier.id, befriending().id)          # first is merged away
    with pytest.raises(Conflict) as refused:
        duplicates.merge(curator, pair.id, first.id)
    assert "merged into another listing already" in refused.value.message
    assert db.session.get(Service, second.id).merged_into_id is None   # nothing moved
    third = create_copy(curator, name="The Heatons Befriending Circle Club")
    listings.update_service(curator, third.id, {"status": "defunct"})
    pair = next(f for f in flags_for(third.id) if second.id in (f.service_id, f.other_id))
    with pytest.raises(Conflict) as refused:
        duplicates.merge(curator, pair.id, third.id)
    assert "is defunct" in refused.value.message


def test_a_trusted_claim_does_not_carry_over_to_the_listing_kept(ctx, make_user, smtp):
    from curation import workflow
    curator, provider = make_user("curator"), make_user("provider")
    copy = create_copy(curator)
    claim = workflow.request_claim(provider, service_id=copy.id)
    workflow.decide_claim(curator, claim.id, "confirm", trusted=True)
    flag = next(f for f in flags_for(copy.id) if befriending().id in (f.service_id, f.other_id))
    duplicates.merge(curator, flag.id, befriending().id)
    moved = db.session.get(type(claim), claim.id)
    assert moved.service_id == befriending().id and moved.trusted is False
    before = befriending().description
    result = workflow.propose_update(provider, befriending().id, {"description": "Rewritten by the provider."},
                                     ["description"])
    assert befriending().description == before and result.status == "pending"   # waits for a curator


def test_a_trusted_provider_cannot_move_or_close_a_listing_without_review(ctx, make_user, smtp):
    from assets_hub.directory.models import Organization
    from curation import workflow
    curator, provider = make_user("curator"), make_user("provider")
    svc = befriending()
    claim = workflow.request_claim(provider, service_id=svc.id)
    workflow.decide_claim(curator, claim.id, "confirm", trusted=True)
    other_org = db.session.scalar(select(Organization.id).where(Organization.id != svc.organization_id).limit(1))
    for values, fields in (({"organization_id": other_org}, ["organization_id"]),
                           ({"status": "defunct"}, ["status"])):
        result = workflow.propose_update(provider, svc.id, values, fields)
        assert getattr(result, "status", None) == "pending", values
    svc = befriending()
    assert svc.status == "active" and svc.organization_id != other_org
    published = workflow.propose_update(provider, svc.id, {"fees_description": "Free"}, ["fees_description"])
    assert befriending().fees_description == "Free" and published.id == svc.id   # the rest still publishes

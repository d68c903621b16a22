"""Model factories (factory-boy): rows a test needs, made in the test's own transaction and only
flushed (the ``ctx`` fixture rolls everything back), so a test need not lean on the demo data.

    org = OrganizationFactory()
    svc = ServiceFactory(organization=org, name="Knit and Natter")
    provider = UserFactory(role="provider")
"""
from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory
from werkzeug.security import generate_password_hash

from assets_hub.accounts.models import User
from assets_hub.db import db, utcnow
from assets_hub.directory.models import Location, Organization, Service, ServiceAtLocation
from assets_hub.referrals.models import Team, TeamMember
from curation.models import Claim

PASSWORD = "correct horse battery"
_HASH = generate_password_hash(PASSWORD)  # hashing is slow on purpose: once for every factory user


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731  (the request's or test's session)
        sqlalchemy_session_persistence = "flush"


class UserFactory(_Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@factory.example.org")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    password_hash = _HASH
    role = "member"
    active = True


class OrganizationFactory(_Base):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Factory Community Group {n}")
    description = "A community group made for a test."
    last_reviewed_at = factory.LazyFunction(utcnow)


class ServiceFactory(_Base):
    """A visible service in Stockport (within the Heatons, SK4), with one location."""

    class Meta:
        model = Service

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Factory Coffee Morning {n}")
    description = "Tea, cake and a chat every week."
    status = "active"
    last_reviewed_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def location(self, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        place = Location(location_type="physical", organization_id=self.organization_id, name="Church hall",
                         latitude=kwargs.get("latitude", 53.4239), longitude=kwargs.get("longitude", -2.1917))
        db.session.add(place)
        db.session.flush()
        db.session.add(ServiceAtLocation(service_id=self.id, location_id=place.id))
        db.session.flush()


class ClaimFactory(_Base):
    """A provider's confirmed claim on a service (``trusted=True`` publishes without the queue)."""

    class Meta:
        model = Claim

    user_id = factory.LazyFunction(lambda: UserFactory(role="provider").id)
    service_id = factory.LazyFunction(lambda: ServiceFactory().id)
    status = "confirmed"
    is_lead = True
    trusted = False
    decided_by = "Test curator (curator)"
    decided_at = factory.LazyFunction(utcnow)


# ------------------------------------------------------------------ social prescribing

class TeamFactory(_Base):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Factory Link Workers {n}")


class TeamMemberFactory(_Base):
    """A link worker in a team (``user`` a link worker made for it unless given)."""

    class Meta:
        model = TeamMember

    team = factory.SubFactory(TeamFactory)
    user_id = factory.LazyFunction(lambda: UserFactory(role="link_worker").id)
    lead = False


def referral_body(team_id: str, /, **changes) -> dict:
    """A valid ``POST /api/referrals`` body; ``changes`` replace whole sections or top-level keys."""
    body = {
        "team_id": team_id,
        "person": {"given_name": "Ada", "family_name": "Lovelace", "date_of_birth": "1950-03-27",
                   "postcode": "SK4 1AA", "nhs_number": "943 476 5919", "phone": "0161 000 0000",
                   "email": "ada@example.org", "preferred_contact": "phone"},
        "gp_practice": {"ods_code": "P88001", "name": "Heaton Moor Medical Group"},
        "referral": {"reason": "Lonely since her husband died; would like company.", "needs": ["loneliness"]},
        "risks": {"known_risks": False},
        "consent": {"information_sharing": True},
    }
    body.update(changes)
    return body

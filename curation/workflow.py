"""Claims and the review queue. Every operation takes the acting user first and checks here who
may do it: providers claim and propose; curators (and admins) decide, approve and send back."""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import or_, select

from assets_hub import mail
from assets_hub.accounts.models import User
from assets_hub.db import db, utcnow
from assets_hub.directory import services as directory
from assets_hub.directory.models import Organization, Service
from assets_hub.directory.schemas import ServiceCreateSchema, ServiceUpdateSchema
from assets_hub.errors import Conflict, Forbidden, Invalid, NotFound, _flatten
from assets_hub.geo.postcodes import lookup_postcode
from assets_hub.ids import is_uuid
from assets_hub.roles import CURATORS, actor_label, has_role, require_role
from curation import listings, scope
from curation.models import Claim, PendingChange

CLAIMANTS = ("provider",)


# ------------------------------------------------------------------ claims

def request_claim(actor, *, service_id: str | None = None, organization_id: str | None = None,
                  message: str = "", evidence: str = "", require_message: bool = False) -> Claim:
    """A provider asks to look after a listing (a service, or an organisation and so all its
    services), saying how they are connected (``message``) and how a curator can check
    (``evidence``). Raises Conflict if they already asked or hold it."""
    require_role(actor, *CLAIMANTS, action="claim listings")
    if bool(service_id) == bool(organization_id):
        raise Invalid("Claim either a service or an organisation.", {"listing": ["Choose one listing."]})
    if service_id:
        directory.get_service(service_id)
    else:
        directory.get_organization(organization_id)
    message, evidence = (message or "").strip(), (evidence or "").strip()
    if len(message) > 2000:
        raise Invalid("Keep the message under 2,000 characters.", {"message": ["Too long."]})
    if len(evidence) > 2000:
        raise Invalid("Keep how we can check under 2,000 characters.", {"evidence": ["Too long."]})
    existing = db.session.scalar(select(Claim).where(
        Claim.user_id == actor.id, Claim.status.in_(("requested", "confirmed")),
        Claim.service_id == service_id if service_id else Claim.organization_id == organization_id))
    if existing is not None:
        raise Conflict("You have already claimed this listing." if existing.status == "confirmed"
                       else "Your claim is waiting for a curator.")
    if require_message and not message:  # (the claim forms ask; older API clients may not say)
        raise Invalid("Tell us how you are connected to it, so a curator can check.",
                      {"message": ["Say how you are connected to it."]})
    claim = Claim(user_id=actor.id, service_id=service_id, organization_id=organization_id, message=message,
                  evidence=evidence or None)
    db.session.add(claim)
    db.session.flush()
    return claim


def _get(model, ident: str, what: str, for_update: bool = False):
    # for_update: a decision locks the row it decides (PostgreSQL; SQLite's writing transactions
    # hold the whole database), so of two curators deciding at once the second sees the first's.
    lock = {"with_for_update": True, "populate_existing": True} if for_update else {}
    found = db.session.get(model, ident, **lock) if is_uuid(ident) else None
    if found is None:
        raise NotFound(f"There is no such {what}.")
    return found


def get_claim(claim_id: str, for_update: bool = False) -> Claim:
    return _get(Claim, claim_id, "claim", for_update)


def decide_claim(actor, claim_id: str, decision: str, *, reason: str = "", lead: bool | None = None,
                 trusted: bool | None = None) -> Claim:
    """confirm | deny | revoke (a confirmed claim). The first confirmed claimant of a listing leads;
    ``lead=True`` makes this one the lead instead. ``trusted`` claimants publish without the queue."""
    require_role(actor, *CURATORS, action="decide claims")
    claim = get_claim(claim_id, for_update=True)
    if claim.service_id:
        scope.require_covers(actor, claim.service_id)
    else:
        scope.require_covers_organization(actor, claim.organization_id)
    allowed = {"confirm": ("requested", "denied"), "deny": ("requested",), "revoke": ("confirmed",)}
    if decision not in allowed:
        raise Invalid("Choose confirm, deny or revoke.", {"decision": ["Unknown decision."]})
    if claim.status not in allowed[decision]:
        raise Conflict(f"This claim is {claim.status}: it cannot be {decision}ed now." if decision != "deny"
                       else f"This claim is {claim.status}: it cannot be denied now.")
    if decision in ("deny", "revoke") and not reason.strip():
        raise Invalid("Say why, so the provider knows.", {"reason": ["Give a reason."]})
    claim.status = {"confirm": "confirmed", "deny": "denied", "revoke": "revoked"}[decision]
    claim.reason = reason.strip() or None
    claim.decided_by, claim.decided_at = actor_label(actor), utcnow()
    if trusted is not None:
        claim.trusted = bool(trusted)
    others = _claims_on(claim).where(Claim.id != claim.id, Claim.status == "confirmed")
    if claim.status == "confirmed":
        has_lead = db.session.scalar(others.where(Claim.is_lead.is_(True)).limit(1)) is not None
        if lead or not has_lead:
            for other in db.session.scalars(others.where(Claim.is_lead.is_(True))):
                other.is_lead = False
            claim.is_lead = True
    else:
        was_lead, claim.is_lead = claim.is_lead, False
        if was_lead:  # the longest-standing other claimant takes over
            successor = db.session.scalar(others.order_by(Claim.decided_at).limit(1))
            if successor is not None:
                successor.is_lead = True
    db.session.flush()
    _notify_claimant(claim)
    return claim


def _claims_on(claim: Claim):
    if claim.service_id:
        return select(Claim).where(Claim.service_id == claim.service_id)
    return select(Claim).where(Claim.organization_id == claim.organization_id)


def _listing_name(claim: Claim) -> str:
    if claim.service_id:
        return db.session.get(Service, claim.service_id).name
    return db.session.get(Organization, claim.organization_id).name


def _notify_claimant(claim: Claim) -> None:
    user = db.session.get(User, claim.user_id)
    name = _listing_name(claim)
    words = {"confirmed": f"Your claim to look after “{name}” was confirmed. You can now suggest changes to it.",
             "denied": f"Your claim to look after “{name}” was not confirmed.",
             "revoked": f"You no longer look after “{name}”."}[claim.status]
    body = words + (f"\n\nThe curator said: {claim.reason}" if claim.reason else "")
    mail.send(user.email, f"Your claim: {name}", body)


def active_claim(actor, service: Service) -> Claim | None:
    """The actor's confirmed claim on this service or its organisation, if any."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not getattr(actor, "id", None):
        return None
    return db.session.scalar(select(Claim).where(
        Claim.user_id == actor.id, Claim.status == "confirmed",
        or_(Claim.service_id == service.id, Claim.organization_id == service.organization_id))
        .order_by(Claim.trusted.desc()).limit(1))


def editing_claim(actor, service: Service) -> Claim | None:
    """Who may open a listing's edit forms: a curator or admin (None: they publish), or a provider
    who looks after it (their claim: they propose). Anyone else: Forbidden (Unauthorised signed out)."""
    if has_role(actor, *CURATORS):
        return None
    claim = active_claim(actor, service)
    if claim is None:
        require_role(actor, *CURATORS, action="change services")
    return claim


def claim_waiting(actor, service: Service) -> bool:
    """Whether the actor's claim on this service is waiting for a curator (so it cannot be made again)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not getattr(actor, "id", None):
        return False
    return db.session.scalar(select(Claim.id).where(
        Claim.user_id == actor.id, Claim.status == "requested", Claim.service_id == service.id).limit(1)) is not None


def organization_claim_state(actor, org_id: str) -> str | None:
    """"holder" (a confirmed claim on the organisation), "waiting" (asked) or None."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not getattr(actor, "id", None):
        return None
    statuses = set(db.session.scalars(select(Claim.status).where(
        Claim.user_id == actor.id, Claim.organization_id == org_id, Claim.status.in_(("requested", "confirmed")))))
    return "holder" if "confirmed" in statuses else "waiting" if statuses else None


def claimant_emails(service: Service) -> list[str]:
    return list(db.session.scalars(select(User.email).join(Claim, Claim.user_id == User.id).where(
        Claim.status == "confirmed", or_(Claim.service_id == service.id,
                                         Claim.organization_id == service.organization_id))))


# ------------------------------------------------------------------ the review queue

@dataclass
class Outcome:
    """What became of an edit: published at once, or waiting in the queue as ``change``."""
    published: bool
    service: Service | None = None
    change: PendingChange | None = None


def edit_listing(actor, service_id: str, values: dict, based_on: int | None = None) -> Outcome:
    """Someone changes a listing (the edit form sends every field; the JSON API just those it
    changes). A curator's change is published; a claimant's is proposed (published at once if
    their claim is trusted). ``based_on``: the version they started from (a later one: Stale)."""
    if has_role(actor, *CURATORS):
        data = _load(ServiceUpdateSchema(), values, partial=True)
        return Outcome(True, listings.update_service(actor, service_id, data, based_on=based_on))
    result = propose_update(actor, service_id, values, based_on=based_on)
    if isinstance(result, Service):
        return Outcome(True, result)
    return Outcome(False, directory.get_service(service_id), result)


def add_listing(actor, values: dict, warn_duplicates: bool = False) -> Outcome:
    """Someone adds a service: a curator's is published (``warn_duplicates``: not if it looks like
    a listing already there, see ``listings.create_service``); a provider's for an organisation
    they look after waits for a curator."""
    if has_role(actor, *CURATORS):
        return Outcome(True, listings.create_service(actor, _load(ServiceCreateSchema(), values),
                                                     warn_duplicates=warn_duplicates))
    return Outcome(False, None, propose_new_service(actor, values))


def _load(schema, values: dict, partial: bool = False) -> dict:
    errors = schema.validate(values, partial=partial)
    if errors:
        raise Invalid("Check the highlighted fields.", _flatten(errors))
    return schema.load(values, partial=partial)


def propose_update(actor, service_id: str, values: dict, fields: list[str] | None = None,
                   based_on: int | None = None) -> PendingChange | Service:
    """A claimant's edit. With a trusted claim it is published at once (returns the Service);
    otherwise it waits in the queue (returns the PendingChange) and the listing stays as it is.
    Only what the claimant changed is proposed (``fields``, or those of ``values`` that differ
    from the listing), against the version they started from, so approving it later changes
    nothing else. ``values`` are validated again when approved."""
    service = directory.get_service(service_id)
    if has_role(actor, *CURATORS):
        raise Invalid("Curators edit listings directly.", {"_": ["Use the edit form."]})
    require_role(actor, *CLAIMANTS, action="suggest changes to listings")
    claim = active_claim(actor, service)
    if claim is None:
        raise Forbidden("Only the people who look after this listing may change it. Claim it first.")
    listings.require_current(service_id, based_on)
    current = listings.service_form_values(service)
    if fields is None:
        fields = listings.changed_fields(current, values)
    if not fields:
        raise Invalid("You did not change anything.", {"_": ["Nothing changed."]})
    proposed = {k: values.get(k) for k in listings.with_companions(fields, values)}
    data = _load(ServiceUpdateSchema(), proposed, partial=True)
    # Moving a listing to another organisation or changing its status (closing it, say) always
    # waits for a curator, even from a trusted claimant.
    needs_review = (("organization_id" in proposed and str(proposed["organization_id"]) != service.organization_id)
                    or ("status" in proposed and proposed["status"] != service.status))
    if claim.trusted and not needs_review:  # the claim, checked just above, is the permission
        return listings.publish(f"{actor.display_name} (trusted provider)", service_id, data)
    change = PendingChange(kind="service_update", service_id=service_id, payload=json.dumps(proposed),
                           fields=",".join(fields), submitted_by=actor.id,
                           base_version=listings.version_of(service_id),
                           base_values=json.dumps({k: current.get(k) for k in proposed}, default=str))
    db.session.add(change)
    db.session.flush()
    return change


def proposed_values(change: PendingChange) -> dict:
    """The values a queued change would publish (a change queued before proposals kept only their
    changes held the whole form: just its changed fields)."""
    values = json.loads(change.payload)
    if change.kind == "service_update" and change.base_values is None:
        keep = listings.with_companions([f for f in change.fields.split(",") if f], values)
        values = {k: v for k, v in values.items() if k in keep}
    return values


def conflicts(change: PendingChange, service: Service | None = None) -> dict[str, dict]:
    """The fields of a queued change that someone changed on the listing after it was proposed:
    {field: {"then": value when proposed, "now": value on the listing, "proposed": value}}.
    Approving it must settle each one: keep what the listing says now, or take the proposal.
    ``service``: the listing if already read (an ORM object, or a records.Node for a whole queue)."""
    if change.kind != "service_update" or change.base_values is None or change.status != "pending":
        return {}
    service = service or directory.get_service(change.service_id)
    then, now = json.loads(change.base_values), listings.service_form_values(service)
    out = {}
    for field, proposed in json.loads(change.payload).items():
        if listings.same(now.get(field)) not in (listings.same(then.get(field)), listings.same(proposed)):
            out[field] = {"then": then.get(field), "now": now.get(field), "proposed": proposed}
    return out


def claimed_organizations(actor) -> list[Organization]:
    """Organisations a provider looks after (a confirmed claim on the organisation itself)."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not getattr(actor, "id", None):
        return []
    return list(db.session.scalars(select(Organization).join(Claim, Claim.organization_id == Organization.id)
                                   .where(Claim.user_id == actor.id, Claim.status == "confirmed")
                                   .order_by(Organization.name)))


def propose_new_service(actor, values: dict) -> PendingChange:
    """A provider proposes a new service for an organisation they look after; it waits for a curator."""
    require_role(actor, *CLAIMANTS, action="propose services")
    if has_role(actor, *CURATORS):
        raise Invalid("Curators add services directly.", {"_": ["Use the add form."]})
    org_id = str(values.get("organization_id"))
    if org_id not in {o.id for o in claimed_organizations(actor)}:
        raise Forbidden("You can propose services only for organisations you look after. Claim the organisation first.")
    errors = ServiceCreateSchema().validate(values)
    if errors:
        raise Invalid("Check the highlighted fields.", _flatten(errors))
    change = PendingChange(kind="service_create", organization_id=org_id, payload=json.dumps(values),
                           fields=",".join(k for k, v in values.items() if v not in (None, "", [], "off")),
                           submitted_by=actor.id)
    db.session.add(change)
    db.session.flush()
    return change


def get_change(change_id: str, for_update: bool = False) -> PendingChange:
    return _get(PendingChange, change_id, "change", for_update)


def queue(status: str = "pending") -> list[PendingChange]:
    return list(db.session.scalars(select(PendingChange).where(PendingChange.status == status)
                                   .order_by(PendingChange.submitted_at)))


def approve(actor, change_id: str, settle: dict[str, str] | None = None) -> Service:
    """Publish a pending change. Curators and admins. The history names the curator and the proposer.

    A field someone changed on the listing since the change was proposed is a conflict: ``settle``
    says for each whether to keep what the listing says ("keep") or take the proposal ("take").
    Unsettled conflicts refuse the approval (Conflict, naming the fields); nothing is overwritten
    unseen."""
    require_role(actor, *CURATORS, action="approve changes")
    change = get_change(change_id, for_update=True)
    scope.require_covers(actor, change.service_id)
    if change.status != "pending":
        raise Conflict(f"This change was {change.status.replace('_', ' ')} already.")
    if change.kind == "service_create":
        return _approve_new(actor, change)
    values = proposed_values(change)
    settle = settle or {}
    found = conflicts(change)
    unsettled = [f for f in found if settle.get(f) not in ("keep", "take")]
    if unsettled:
        names = ", ".join(f.replace("_", " ") for f in unsettled)
        raise Conflict(f"Since this was proposed, someone changed {names} on the listing. Choose for each "
                       "whether to keep what the listing says now or take the proposal, then publish.",
                       {f"settle_{f}": ["Changed on the listing since this was proposed."] for f in unsettled})
    kept = [f for f in found if settle.get(f) == "keep"]
    values = {k: v for k, v in values.items() if k not in kept}
    data = _load(ServiceUpdateSchema(), values, partial=True)
    proposer = db.session.get(User, change.submitted_by)
    note = _approval_note(proposer, actor) + (f"; kept the listing's {', '.join(kept)}" if kept else "")
    service = listings.update_service(actor, change.service_id, data, note=note)
    change.status, change.reviewed_by, change.reviewed_at = "approved", actor_label(actor), utcnow()
    db.session.flush()
    mail.send(proposer.email, f"Published: {service.name}",
              f"Your changes to “{service.name}” ({change.fields.replace(',', ', ')}) are now live.")
    return service


def _approve_new(actor, change: PendingChange) -> Service:
    """Create the proposed service; its proposer looks after it from now on (a confirmed claim)."""
    values = json.loads(change.payload)
    areas = scope.areas_of(actor)
    if areas is not None:
        where = lookup_postcode(values.get("postcode") or "")
        if where is None or where.lad_code not in areas:
            scope.require_covers_organization(actor, change.organization_id)
    data = ServiceCreateSchema().load(values)
    proposer = db.session.get(User, change.submitted_by)
    service = listings.create_service(actor, data, note=_approval_note(proposer, actor))
    change.service_id = service.id
    change.status, change.reviewed_by, change.reviewed_at = "approved", actor_label(actor), utcnow()
    db.session.add(Claim(user_id=proposer.id, service_id=service.id, status="confirmed", is_lead=True,
                         decided_by=actor_label(actor), decided_at=utcnow(),
                         message="Proposed this listing"))
    db.session.flush()
    mail.send(proposer.email, f"Published: {service.name}", f"Your new listing “{service.name}” is now live.")
    return service


def send_back(actor, change_id: str, reason: str) -> PendingChange:
    """Return a change to its proposer with a reason they will see. Curators and admins."""
    require_role(actor, *CURATORS, action="send changes back")
    change = get_change(change_id, for_update=True)
    scope.require_covers(actor, change.service_id)
    if change.status != "pending":
        raise Conflict(f"This change was {change.status.replace('_', ' ')} already.")
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Say what needs to change, so the provider can fix it.", {"reason": ["Give a reason."]})
    change.status, change.reason = "sent_back", reason
    change.reviewed_by, change.reviewed_at = actor_label(actor), utcnow()
    db.session.flush()
    proposer = db.session.get(User, change.submitted_by)
    name = change_title(change)
    mail.send(proposer.email, f"Sent back: {name}",
              f"A curator sent back your changes to “{name}”.\n\nThey said: {reason}")
    return change


def change_title(change: PendingChange) -> str:
    if change.service_id:
        svc = db.session.get(Service, change.service_id)
        return svc.name if svc else "(removed)"
    return proposed_name(change)


def proposed_name(change: PendingChange) -> str:
    """What a proposed new service is called (pages listing many changes look up the rest at once)."""
    return json.loads(change.payload).get("name") or "a new service"


def _approval_note(proposer, actor) -> str:
    return f"Proposed by {actor_label(proposer)}, approved by {actor_label(actor)}"


def my_listings(actor) -> tuple[list[Claim], list[PendingChange]]:
    require_role(actor, *CLAIMANTS, action="see your listings")
    claims = list(db.session.scalars(select(Claim).where(Claim.user_id == actor.id).order_by(Claim.created_at.desc())))
    changes = list(db.session.scalars(select(PendingChange).where(PendingChange.submitted_by == actor.id)
                                      .order_by(PendingChange.submitted_at.desc())))
    return claims, changes

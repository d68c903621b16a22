"""The referral domain's fixed vocabularies: the published needs list, the lifecycle and the
words people see for each. DOMAIN.md section 4 (PRSB Social Prescribing Information Standard)."""
from __future__ import annotations

# Needs and concerns, as published at GET /api/referrals/needs: code -> (label, the directory
# category a search for it starts from). Codes are stable; labels may be reworded.
NEEDS: dict[str, tuple[str, str]] = {
    "loneliness": ("Loneliness or social isolation", "social-connection"),
    "mental_wellbeing": ("Low mood, stress or anxiety", "mental-wellbeing"),
    "physical_activity": ("Wants to be more active", "physical-activity"),
    "food": ("Not enough food", "food"),
    "money_debt": ("Money worries or debt", "money"),
    "benefits": ("Benefits or entitlements", "money"),
    "housing": ("Housing problems", "housing"),
    "cold_home": ("A cold home or energy bills", "housing"),
    "caring": ("Caring for someone", "carers"),
    "bereavement": ("Bereavement", "mental-wellbeing"),
    "long_term_condition": ("Living with a long-term condition", "health-conditions"),
    "dementia": ("Memory problems or dementia", "health-conditions"),
    "employment_learning": ("Work, learning or skills", "learning"),
    "digital": ("Getting online", "learning"),
    "creative": ("Wants something creative to do", "arts-culture"),
    "volunteering": ("Wants to volunteer or give back", "volunteering"),
    "advice_advocacy": ("Needs advice or someone on their side", "advice"),
    "family": ("Family or parenting", "families"),
    "older_age": ("Support in later life", "older-people"),
}

# The link-worker episode: received -> contacted -> first appointment -> supported -> closed.
STATUSES = {
    "received": "Received",
    "contacted": "Contacted",
    "first_appointment": "First appointment",
    "supported": "Being supported",
    "closed": "Closed",
}
# Which status may follow which. Closing is possible from any open status (declined, could not
# contact, moved away can happen at any point); nothing follows "closed".
TRANSITIONS = {
    "received": ("contacted", "closed"),
    "contacted": ("first_appointment", "closed"),
    "first_appointment": ("supported", "closed"),
    "supported": ("closed",),
    "closed": (),
}
CLOSED_REASONS = {
    "discharged": "Support finished (discharged)",
    "declined": "Declined social prescribing",
    "could_not_contact": "Could not be contacted",
    "moved_away": "Moved away",
}

SOURCES = {"staff": "Staff referral", "self": "Self-referral", "api": "From another system"}
PREFERRED_CONTACT = {"phone": "Phone", "email": "Email", "letter": "Letter", "text": "Text message"}
CONTACT_METHODS = {"phone": "Phone", "in_person": "In person", "video": "Video call", "email": "Email",
                   "letter": "Letter", "text": "Text message"}
CONTACT_OUTCOMES = {"spoke": "Spoke with the person", "no_answer": "No answer", "left_message": "Left a message",
                    "appointment_made": "Appointment made", "met": "Met"}

# Onward referrals to a service, and signposts (recorded only).
ONWARD_STATUSES = {
    "signposted": "Signposted",
    "sent": "Sent, waiting for the provider",
    "accepted": "Accepted",
    "declined": "Declined",
    "expired": "Expired (no answer)",
    "attended": "Attended",
    "did_not_attend": "Did not attend",
}
# What a provider may do next, from each status.
PROVIDER_ANSWERS = {
    "sent": ("accepted", "declined"),
    "accepted": ("attended", "did_not_attend"),
}

# The person's details a referral to a service can carry, when their consent to share allows:
# nothing is shared without consent except what the service needs to reply to the link worker.
SHAREABLE = {"name": "Name", "phone": "Phone", "email": "Email", "postcode": "Postcode",
             "date_of_birth": "Date of birth", "needs": "Needs", "what_matters": "What matters to them"}

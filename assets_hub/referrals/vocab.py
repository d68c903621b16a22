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

# ------------------------------------------------------------------ outcomes (DOMAIN.md section 4)

# ONS4, the ONS personal well-being questions: four answers 0-10, never summed.
ONS4_QUESTIONS = {
    "life_satisfaction": "Overall, how satisfied are you with your life nowadays?",
    "worthwhile": "Overall, to what extent do you feel that the things you do in your life are worthwhile?",
    "happy": "Overall, how happy did you feel yesterday?",
    "anxious": "On a scale where 0 is not at all anxious and 10 is completely anxious, overall, how anxious "
               "did you feel yesterday?",
}
ONS4_SHORT = {"life_satisfaction": "Life satisfaction", "worthwhile": "Worthwhile", "happy": "Happiness",
              "anxious": "Anxiety"}
# The ONS bands: (highest score in the band, its name), lowest band first.
ONS4_BANDS = ((4, "Low"), (6, "Medium"), (8, "High"), (10, "Very high"))
ONS4_ANXIETY_BANDS = ((1, "Very low"), (3, "Low"), (5, "Medium"), (10, "High"))


def ons4_band(question: str, score: int) -> str:
    """The ONS band of one answer ("anxious" has its own bands: lower is better)."""
    if not 0 <= score <= 10:
        raise ValueError(f"An ONS4 answer is 0 to 10, not {score}.")
    bands = ONS4_ANXIETY_BANDS if question == "anxious" else ONS4_BANDS
    return next(name for top, name in bands if score <= top)


def ons4_better(question: str, change: int) -> bool:
    """Did the answer move the good way? Anxiety improves when it falls."""
    return change < 0 if question == "anxious" else change > 0


# SWEMWBS, the Short Warwick-Edinburgh Mental Wellbeing Scale: seven items 1-5, raw total 7-35,
# reported as the metric score from the owners' conversion table.
SWEMWBS_ITEMS = (
    "I've been feeling optimistic about the future",
    "I've been feeling useful",
    "I've been feeling relaxed",
    "I've been dealing with problems well",
    "I've been thinking clearly",
    "I've been feeling close to other people",
    "I've been able to make up my own mind about things",
)
SWEMWBS_ANSWERS = {1: "None of the time", 2: "Rarely", 3: "Some of the time", 4: "Often", 5: "All of the time"}
SWEMWBS_METRIC = {
    7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75, 14: 15.32, 15: 15.84, 16: 16.36,
    17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25, 22: 19.98, 23: 20.73, 24: 21.54, 25: 22.35,
    26: 23.21, 27: 24.11, 28: 25.03, 29: 26.02, 30: 27.03, 31: 28.13, 32: 29.31, 33: 30.70, 34: 32.55,
    35: 35.00,
}
# A change of 1-3 metric points is meaningful for a person (DOMAIN.md): the smallest meaningful
# change lies somewhere in that range, so we call a change meaningful from 3 points (every reading
# agrees it is), and a change of 1 to 3 points "may be meaningful". The pages say so.
SWEMWBS_MEANINGFUL = 3.0
SWEMWBS_MAYBE = 1.0
# ONS4 answers are whole points on a 0-10 scale: one point or more the good way counts as improving.
ONS4_MEANINGFUL = 1


def swemwbs_metric(raw: int) -> float:
    if raw not in SWEMWBS_METRIC:
        raise ValueError(f"A SWEMWBS raw total is 7 to 35, not {raw}.")
    return SWEMWBS_METRIC[raw]


MEASURES = {"ons4": "ONS4 personal well-being", "swemwbs": "SWEMWBS mental wellbeing"}
STAGES = {"start": "Start of support", "during": "During support", "end": "End of support"}

# The code the GP record needs when a case closes (SNOMED CT): taken up, or declined.
SNOMED_TOOK_UP = ("871731000000106", "Referral to social prescribing service")
SNOMED_DECLINED = ("871711000000103", "Social prescribing declined")

# Age bands for reports (the person's age on the day the referral arrived).
AGE_BANDS = ("0-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+")


def age_band(born, on) -> str:
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    for band in AGE_BANDS[:-1]:
        if age <= int(band.split("-")[1]):
            return band
    return AGE_BANDS[-1]

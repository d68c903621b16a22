"""Fixed vocabularies of the directory (what filters and forms offer)."""

# The days of the week as HSDS schedules write them (RFC 5545 BYDAY codes), Monday first, and
# their names: the one home of both.
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")))

ACCESSIBILITY = {"wheelchair": "Wheelchair accessible", "hearing_loop": "Hearing loop",
                 "accessible_toilet": "Accessible toilet", "step_free": "Step-free access",
                 "quiet_space": "Quiet space"}
LANGUAGES = {"en": "English", "cy": "Welsh", "gd": "Gaelic", "pl": "Polish", "ur": "Urdu", "pa": "Punjabi",
             "bn": "Bengali", "ar": "Arabic", "so": "Somali", "ro": "Romanian", "sgn": "British Sign Language"}

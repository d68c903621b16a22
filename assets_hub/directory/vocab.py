"""Fixed vocabularies of the directory (what filters and forms offer)."""

ACCESSIBILITY = {"wheelchair": "Wheelchair accessible", "hearing_loop": "Hearing loop",
                 "accessible_toilet": "Accessible toilet", "step_free": "Step-free access",
                 "quiet_space": "Quiet space"}
LANGUAGES = {"en": "English", "cy": "Welsh", "gd": "Gaelic", "pl": "Polish", "ur": "Urdu", "pa": "Punjabi",
             "bn": "Bengali", "ar": "Arabic", "so": "Somali", "ro": "Romanian", "sgn": "British Sign Language"}

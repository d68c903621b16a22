"""Imports every model so that Base.metadata knows every table (for Alembic and tests)."""
from assets_hub.accounts.models import AccountEvent, ApiToken, PasswordReset, RecoveryCode, User  # noqa: F401
from assets_hub.directory.models import (Accessibility, Address, Attribute, Contact, CostOption,  # noqa: F401
                                         Language, Location, Organization, Phone, Schedule, Service,
                                         ServiceArea, ServiceAtLocation, Taxonomy, TaxonomyTerm)
from assets_hub.geo.models import LocalAuthority, PlaceName, PopulatedPlace, Postcode  # noqa: F401
from assets_hub.lists.models import SavedItem, SavedList  # noqa: F401
from assets_hub.mail import OutboxMessage  # noqa: F401
from assets_hub.referrals.models import (AuditEntry, ContactLog, Goal, KeptApart, Measure, Outcome, Need, OnwardReferral, Person,  # noqa: F401
                                         Referral, ReferralEvent, Team, TeamMember, TeamPractice)
from assets_hub.timebank.models import (Account, Activity, Application, Bank, Check, Conversation, Coordinator,  # noqa: F401
                                        Entry, Exchange, Invitation, Listing, Message)
from search.models import SearchChange, Synonym  # noqa: F401
from curation.models import (Claim, CuratorArea, DuplicateFlag, HistoryRedaction, ListingChange, ListingVersion, PendingChange, ReviewReminder,  # noqa: F401
                             Suggestion)

"""Social prescribing: referrals into a link-worker team, the person's record, onward referrals to
services and the provider's answers, with every read and change of personal data audited.

Layout as the other domains: ``models``, ``vocab`` (needs, statuses, transitions), ``schemas``,
``access`` (who may see which referral, and the audit log), ``services`` (intake and the link
worker's record), ``onward`` (signposts, referrals to services, the provider's inbox, expiry),
``teams``, ``views`` (pages), ``api`` (JSON) and ``cli``."""

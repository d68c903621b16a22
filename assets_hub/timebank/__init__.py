"""Time banks: an hour given earns an hour, on a double-entry ledger (DOMAIN.md section 5).

``models`` (banks, accounts, exchanges, entries), ``ledger`` (recording, confirming, disputing,
reversing, leaving, with the limits checked in the same transaction as the entries), ``schemas``,
``api`` (JSON), ``views`` (pages), ``cli``."""

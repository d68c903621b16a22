"""Open Referral HSDS 3.0: the public API (/api/v3), its records and OpenAPI document."""

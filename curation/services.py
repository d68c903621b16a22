"""Curation operations. Each takes the acting user first and checks permission here."""
from __future__ import annotations

import json

from assets_hub.accounts.permissions import CURATORS, require_role
from assets_hub.directory.services import get_service
from curation import history


def restore_version(actor, service_id: str, number: int):
    """Make version ``number`` the service's current state again. The restore is itself a new
    version ("Restored version N"), so nothing is lost. Curators and admins only."""
    require_role(actor, *CURATORS, action="restore earlier versions")
    get_service(service_id)  # NotFound for an unknown service
    from curation import scope
    scope.require_covers(actor, service_id)
    version = history.get_version(service_id, number)
    from curation.hsds_import import apply_record
    record = json.loads(version.snapshot)
    report = apply_record(record, actor, "restore", f"Restored version {number}")
    return report.updated > 0

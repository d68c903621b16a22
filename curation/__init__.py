"""Editorial workflow: review queue, history, claims, suggestions, review cadence, HSDS import and export.

Not built yet (issue 4). The directory's create/update services in assets_hub.directory.services
are the operations the workflow will wrap.
"""

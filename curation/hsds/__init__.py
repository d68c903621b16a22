"""Open Referral HSDS files in and out: reading files (``files``: JSON, NDJSON, tabular packages;
``ohana``: Ohana API CSV folders), checking and writing records (``importer``), what an import
reports (``report``) and writing the whole directory as a tabular package (``export``)."""

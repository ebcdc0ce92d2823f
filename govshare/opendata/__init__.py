"""Open data (article 19): open resources published to the public, with DCAT metadata and a
CKAN-compatible catalogue.

``plan`` says what of a resource the public receives; ``files`` writes a publication's CSV and
Parquet files into the open-data store; ``publication`` runs a publication (read through the
same engine as a delivery, checked with the resource's suite, written, recorded, audited) and
withdraws what is no longer open; ``dcat`` and ``ckan`` describe what is published.
"""

"""Emails to agencies: written to an outbox with the event, sent by a platform DAG."""

"""Monitoring (articles 10, 17, 21): front-DB health, anomalies, monitoring and supervision reports."""

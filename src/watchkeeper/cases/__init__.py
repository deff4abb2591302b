"""Alerts, cases and their timelines: the analysts' queue (see docs/cases.md)."""

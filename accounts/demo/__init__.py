"""Deterministic demo data: a realistic healthcare SaaS book of business for `manage.py seed_demo`."""

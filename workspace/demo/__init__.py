"""Deterministic demo data: a realistic healthcare SaaS book of business for `manage.py seed_demo`.

It lives in the top layer because it drives every domain below it (customer data, scores, the pipeline, the
CSMs' work on playbooks); no domain app imports it."""

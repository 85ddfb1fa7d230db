"""Outgoing webhooks for the CRM (docs/api.md#webhooks): `emit` records the deliveries of an event with the change
that caused it, `delivery` signs and sends them, `tasks` runs the sending on the workers. It sits in the lowest
layer because every layer announces events: each calls `webhooks_emit` at its write site."""

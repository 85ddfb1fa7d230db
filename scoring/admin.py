"""Admin registrations of the scoring app."""

"""Admin registrations of the expansion app."""

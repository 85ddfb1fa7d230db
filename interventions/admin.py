"""Admin registrations of the interventions app."""

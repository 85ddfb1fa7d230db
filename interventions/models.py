"""interventions: models arrive with the issue that builds this part of HealthCS."""

"""The project package. The Celery application (healthcs.celery) is not imported here: it loads with the first tasks
module (each one declares its tasks on it), so that a command or a page that sends no task starts without Celery,
Kombu and redis-py (about 0.1 s). `celery -A healthcs` finds it as healthcs.celery."""

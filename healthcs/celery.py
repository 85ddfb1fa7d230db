"""The Celery application: Redis when REDIS_URL is set, otherwise the file-system queue."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthcs.settings")

app = Celery("healthcs")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

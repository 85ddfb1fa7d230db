"""
WSGI config for healthcs project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'healthcs.settings')

application = get_wsgi_application()

# Everything loaded so far (Django, the apps, pandas) lives as long as the process: moved out of the
# garbage collector's view, so a full collection during a request no longer walks it (pauses of ~90 ms).
gc.freeze()

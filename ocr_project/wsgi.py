"""WSGI entry point (gunicorn ocr_project.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ocr_project.settings")

application = get_wsgi_application()

"""Settings for the test suite: the production settings with a throwaway secret.

Everything else comes from ``settings`` and the environment, so the suite runs on
SQLite by default and on PostgreSQL when DATABASE_URL says so.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production")

from ocr_project.settings import *  # noqa: F403

# Hashing admin passwords at full strength only slows the tests down.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests serve static files straight from the apps (no collectstatic run, so no manifest).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The suite talks plain HTTP to the app and uploads far more often than a client may;
# tests of HTTPS and throttling switch these back on.
SECURE_SSL_REDIRECT = False
OCR_PARSE_LETTER_RATE = None

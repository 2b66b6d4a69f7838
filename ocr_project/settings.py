"""Settings for django-ocr.

Every value that differs between machines comes from the environment (see
``.env.example`` and the README's configuration table). Development defaults are
safe; production values that must be secret have no default.
"""

import json
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env.smart_cast = False


def _env_int(name: str, default: int) -> int:
    """An integer variable; a bad value fails at start naming the variable."""
    try:
        return env.int(name, default=default)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, got {env.str(name)!r}."
        ) from exc


def _env_bool(name: str, default: bool) -> bool:
    value = env.str(name, default="").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {value!r}.")


def _env_float(name: str, default: float) -> float:
    try:
        return float(env.str(name, default=str(default)))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {env.str(name)!r}.") from exc


def _env_rate(name: str, default: str) -> str | None:
    """A DRF throttle rate like "60/minute"; "off" (or "none", "0") turns it off."""
    value = env.str(name, default=default).strip().lower()
    if value in ("", "off", "none", "0"):
        return None
    number, _, period = value.partition("/")
    if not number.isdigit() or int(number) < 1 or period[:1] not in ("s", "m", "h", "d"):
        raise ImproperlyConfigured(
            f'{name} must be a rate like "60/minute" or "off", got {value!r}.'
        )
    return value


DEBUG = _env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string "
            "(or set DJANGO_DEBUG=true for local development)."
        )
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105 - debug only

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "ocr_record",
]

MIDDLEWARE = [
    # First: /healthz must answer probes by IP, before host checks and redirects.
    "ocr_project.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "ocr_project.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "ocr_project.wsgi.application"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = _env_int("DATABASE_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database: WAL lets gunicorn's workers read while one writes, and
    # synchronous=NORMAL drops the fsync from every commit (a power cut may lose the
    # last records, never corrupt the file); IMMEDIATE avoids lock upgrades that fail.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# Serve files straight from the apps when collectstatic has not been run (tests, dev).
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

# --- Uploads -----------------------------------------------------------------
# An upload larger than this is refused with 413 before it is read whole.
OCR_MAX_UPLOAD_BYTES = _env_int("OCR_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
# Images declaring more pixels than this are refused (decompression bombs).
OCR_MAX_IMAGE_PIXELS = _env_int("OCR_MAX_IMAGE_PIXELS", 25_000_000)
# Uploads up to this size stay in memory; larger ones spool to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The whole request body may be slightly bigger than the file (multipart framing).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- OCR engine --------------------------------------------------------------
OCR_ENGINE_BACKEND = env.str("OCR_ENGINE_BACKEND", default="tesserocr")
OCR_TESSDATA_DIR = env.str("OCR_TESSDATA_DIR", default="") or None

# --- Admin review: stored images -----------------------------------------------


def _env_json_object(name: str) -> dict:
    """A JSON object variable (empty when unset); bad JSON fails at start."""
    value = env.str(name, default="").strip()
    try:
        parsed = json.loads(value) if value else {}
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a JSON object: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ImproperlyConfigured(f"{name} must be a JSON object, got {value!r}.")
    return parsed


# Keep each uploaded image with its record so that reviewers can see it in the admin.
OCR_STORE_IMAGES = _env_bool("OCR_STORE_IMAGES", True)
# Images are written through Django's default storage: files under MEDIA_ROOT unless
# OCR_MEDIA_STORAGE names another backend (e.g. storages.backends.s3.S3Storage from
# django-storages) with its options as JSON in OCR_MEDIA_STORAGE_OPTIONS. They are
# never served publicly: the admin shows them to staff (the file names are the MD5s
# that the API lists).
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES["default"] = {
    "BACKEND": env.str("OCR_MEDIA_STORAGE", default="django.core.files.storage.FileSystemStorage"),
    "OPTIONS": _env_json_object("OCR_MEDIA_STORAGE_OPTIONS"),
}

# --- Limits and security (README: "Limits and security settings") ------------------
# Seconds one recognition may take; a slower one is stopped and answered 503.
OCR_TIMEOUT_SECONDS = _env_float("OCR_TIMEOUT_SECONDS", 20.0)
# Run the engine in a child process per worker thread (killed at the time limit or on a
# crash in C code) instead of in the worker itself: safer against engine crashes, about
# a millisecond slower per image. Off: the engine checks the limit itself (faster).
OCR_RECOGNITION_PROCESS = _env_bool("OCR_RECOGNITION_PROCESS", False)
if OCR_TIMEOUT_SECONDS <= 0:
    raise ImproperlyConfigured("OCR_TIMEOUT_SECONDS must be a positive number of seconds.")
# The function the recognition process calls to read letters (tests swap in faulty ones).
OCR_RECOGNISER = "ocr_record.engine.recognise_letters"
# Uploads per client to parse_letter, as DRF rates ("30/minute", "1000/day"); "off" for none.
OCR_PARSE_LETTER_RATE = _env_rate("OCR_PARSE_LETTER_RATE", "600/minute")
# Proxies in front of the service that append to X-Forwarded-For (0: use the peer address).
OCR_NUM_PROXIES = _env_int("OCR_NUM_PROXIES", 0)
# When set, every /api/ocr_record/ request needs the header "X-API-Key: <key>".
OCR_API_KEY = env.str("OCR_API_KEY", default="")
# Throttle counters live in the cache: with several workers or hosts, point CACHE_URL
# at a shared cache (filecache:///var/tmp/django-ocr-cache on one host, redis://... ).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# HTTPS: TLS ends at a proxy that sets X-Forwarded-Proto; plain HTTP is redirected.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SECURE_HSTS_SECONDS = _env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = _env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- REST framework and OpenAPI ------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "ocr_record.schema.ContractAutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "ocr_record.pagination.OcrRecordPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PERMISSION_CLASSES": ["ocr_record.security.HasApiKeyWhenRequired"],
    "EXCEPTION_HANDLER": "ocr_record.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_AUTHENTICATION_CLASSES": ["ocr_record.security.ApiKeyAuthentication"],
    "NUM_PROXIES": OCR_NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "django-ocr",
    "DESCRIPTION": "Reads the letters in an image. Every distinct image (by MD5) is "
    "recognised once and kept as a record.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The contract lists read-only fields (id, created_at) as optional.
    "COMPONENT_NO_READ_ONLY_REQUIRED": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env.str("DJANGO_LOG_LEVEL", default="INFO"),
    },
}

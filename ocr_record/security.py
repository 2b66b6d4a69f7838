"""The optional API key and the per-client upload throttle.

Both read their settings on every request, so they can be changed without a restart of
the code that imported them (and tests can switch them with ``override_settings``).
"""

import hmac

from django.conf import settings
from rest_framework import authentication, exceptions, permissions, throttling

API_KEY_HEADER = "X-API-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Accepts ``X-API-Key: <OCR_API_KEY>``; a wrong key is refused, none is anonymous."""

    def authenticate(self, request):
        expected = settings.OCR_API_KEY
        given = request.headers.get(API_KEY_HEADER)
        if not expected or given is None:
            return None
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise exceptions.AuthenticationFailed(f"The {API_KEY_HEADER} header is not valid.")
        return (None, "api-key")

    def authenticate_header(self, request) -> str:
        return API_KEY_HEADER


class HasApiKeyWhenRequired(permissions.BasePermission):
    """Everyone when ``OCR_API_KEY`` is empty (the default); else only with the key."""

    message = f"This API needs the {API_KEY_HEADER} header."

    def has_permission(self, request, view) -> bool:
        if not settings.OCR_API_KEY or request.auth == "api-key":
            return True
        raise exceptions.NotAuthenticated(self.message)


class ParseLetterThrottle(throttling.SimpleRateThrottle):
    """``OCR_PARSE_LETTER_RATE`` uploads per client address; no limit when it is off."""

    scope = "parse_letter"

    def get_rate(self) -> str | None:
        return settings.OCR_PARSE_LETTER_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

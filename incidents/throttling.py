"""The API's throttle, in a module of its own: REST_FRAMEWORK settings import it while
rest_framework.views is still loading, so it must not import views, serializers or viewsets."""

from rest_framework import throttling
from rest_framework.settings import api_settings


class AnonRateThrottle(throttling.AnonRateThrottle):
    """DRF's anonymous throttle, reading its rate when asked rather than at import time,
    so REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] can be changed in a test or a shell."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

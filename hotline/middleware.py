"""The admin in each staff member's own language."""

from django.utils import translation

# The staff side: the admin and the sign-in pages (the public site has its own prefixes).
STAFF_PATHS = ("/admin/", "/account/")


class StaffLanguageMiddleware:
    """In the admin and the sign-in pages, a staff member reads the language they chose in
    their notification settings (Ukrainian unless they chose English); everyone else gets
    what LocaleMiddleware chose from the browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if request.path.startswith(STAFF_PATHS) and user is not None and user.is_authenticated:
            profile = getattr(user, "staff_profile", None)
            if profile is not None and profile.language:
                translation.activate(profile.language)
                request.LANGUAGE_CODE = profile.language
        return self.get_response(request)

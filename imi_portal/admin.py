"""The admin site: staff reach it only through the two-step login.

Complaints name people who may be hunted, so a stolen staff password alone must open nothing.
Whenever TWO_FACTOR_REQUIRED is on (always when DEBUG is off), a staff session counts for the
admin only once it was verified with a TOTP code or a backup code (django-otp). The admin's
own password-only login page is never shown: it sends staff to the two-step login, or, for
someone who has signed in with the password but has no authenticator yet, to the enrolment.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog
from two_factor.utils import default_device


class AdminJavaScriptCatalog(JavaScriptCatalog):
    """The admin scripts' texts, with the project's catalogue (locale/*/djangojs.po) filling
    what Django's Ukrainian one leaves empty: the two-list selector read "Choose категорії by
    selecting them" (Django's words in English around the field's Ukrainian name)."""

    def get_paths(self, packages):
        return [*super().get_paths(packages), *(str(path) for path in settings.LOCALE_PATHS)]


def second_factor_missing(user) -> bool:
    """True for a signed-in user whose session still lacks the second factor it needs."""
    return settings.TWO_FACTOR_REQUIRED and not user.is_verified()


class StaffAdminSite(admin.AdminSite):
    site_header = _("IMI Portal administration")
    site_title = _("IMI Portal")
    # The lists a shift works from need the width of a 1280 px laptop: no side menu (the
    # index and the breadcrumbs lead everywhere).
    enable_nav_sidebar = False

    def i18n_javascript(self, request, extra_context=None):
        return AdminJavaScriptCatalog.as_view(packages=["django.contrib.admin"])(request)

    def has_permission(self, request):
        return super().has_permission(request) and not second_factor_missing(request.user)

    # The work first: the hotline and the record, then the accounts and the sign-in
    # machinery (lockouts, authenticator devices) that only an administrator opens.
    APP_ORDER = ["hotline", "incidents"]

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        rank = {label: index for index, label in enumerate(self.APP_ORDER)}
        return sorted(apps, key=lambda app: rank.get(app["app_label"], len(rank)))

    def login(self, request, extra_context=None):
        next_url = request.POST.get(REDIRECT_FIELD_NAME, request.GET.get(REDIRECT_FIELD_NAME))
        if not next_url or not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = resolve_url("admin:index")
        user = request.user
        if (
            settings.TWO_FACTOR_REQUIRED
            and user.is_authenticated
            and user.is_staff
            and default_device(user) is None
        ):
            messages.info(
                request,
                gettext(
                    "Before you can open the administration, set up a second factor: "
                    "an authenticator app on your phone."
                ),
            )
            return redirect("two_factor:setup")
        return redirect_to_login(next_url, login_url=resolve_url(settings.LOGIN_URL))

"""Logs and error reports that never carry personal data.

The people who write to the hotline may be hunted; a log file or an error e-mail is one more
place their phone number, e-mail, address or tracking code could leak from. Three layers:

- ``RedactPersonalData``: a logging filter on every handler that rewrites the final message
  (and the formatted traceback) with e-mail addresses, phone numbers, tracking codes and IP
  addresses replaced, whatever logger wrote them;
- ``NoPersonalDataReporterFilter``: error reports (the 500 e-mail, Sentry-style handlers)
  without the POST body, without local variables and without the client's address;
- ``axes_client_str``: django-axes names a failed login by username and a short keyed hash of
  the address, never the address itself.
"""

import logging
import re

from django.utils.crypto import salted_hmac
from django.views.debug import SafeExceptionReporterFilter

_PATTERNS = [
    # e-mail addresses
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    # IPv4 and IPv6 addresses
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"), "[ip]"),
    (re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{0,4}:){3,7}[0-9a-fA-F]{1,4}\b"), "[ip]"),
    # phone numbers: 7+ digits, with an optional + and the usual separators between them
    (re.compile(r"(?<![\w/])\+?\(?\d(?:[\s().-]{0,2}\d){6,14}(?![\w/])"), "[phone]"),
    # tracking codes as given out (XXXX-XXXX-XXXX-XXXX, and before December 2026 without the
    # last group) and as typed, in any case
    (
        re.compile(
            r"\b(?=[0-9A-Z \t-]*\d)[0-9A-HJKMNP-TV-Z]{4}[- \t]?[0-9A-HJKMNP-TV-Z]{4}[- \t]?"
            r"[0-9A-HJKMNP-TV-Z]{4}(?:[- \t]?[0-9A-HJKMNP-TV-Z]{4})?\b",
            re.IGNORECASE,
        ),
        "[code]",
    ),
]
# Dates and times look like digit runs too; they are no one's phone number.
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def redact(text: str) -> str:
    dates = [m.span() for m in _DATE.finditer(text)]

    def keep_dates(replacement):
        def sub(match):
            start, end = match.span()
            if any(start < d_end and d_start < end for d_start, d_end in dates):
                return match.group(0)
            return replacement

        return sub

    for pattern, replacement in _PATTERNS:
        text = pattern.sub(keep_dates(replacement), text)
        dates = [m.span() for m in _DATE.finditer(text)]
    return text


class RedactPersonalData(logging.Filter):
    """Rewrites each record's message and traceback text; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class NoPersonalDataReporterFilter(SafeExceptionReporterFilter):
    """Error reports keep the stack and the request line, but no form contents, no local
    variables and no client address. Active whenever DEBUG is off (Django's rule)."""

    hidden_meta = {"REMOTE_ADDR", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED"}

    def get_post_parameters(self, request):
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        if not self.is_active(request):
            return variables
        return [(name, self.cleansed_substitute) for name, _value in variables]

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        if self.is_active(request):
            for name in self.hidden_meta & meta.keys():
                meta[name] = self.cleansed_substitute
        return meta


def client_tag(ip_address: str | None) -> str:
    """A short keyed hash of an address: enough to tell two clients apart in one log, not
    enough to recover the address."""
    if not ip_address:
        return "-"
    return salted_hmac("imi.logs.client", ip_address, algorithm="sha256").hexdigest()[:10]


def axes_client_str(username, ip_address, user_agent, path_info, request) -> str:
    if isinstance(path_info, list | tuple):
        path_info = path_info[0] if path_info else ""
    return (
        f'{{username: "{username}", client: "{client_tag(ip_address)}", path_info: "{path_info}"}}'
    )

"""Logs and error reports carry no phone number, e-mail, tracking code or client address."""

import io
import logging
import sys

import pytest
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from imi_portal.logs import RedactPersonalData, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("callback for +380504477063", "4477063"),
        ("callback for (050) 447-70-63", "447-70-63"),
        ("callback for 050 447 70 63", "447 70 63"),
        ("mail to olena.k+imi@ukr.net failed", "olena.k"),
        ("code 7K2M-9QXP-4TZ1 looked up", "7K2M"),
        ("code 7k2m9qxp4tz1 looked up", "7k2m9qxp4tz1"),
        # Today's 80-bit codes: every group goes, the last one too.
        ("code 7K2M-9QXP-4TZ1-WN5A looked up", "WN5A"),
        ("code 7K2M-9QXP-4TZ1-WN5A looked up", "7K2M"),
        ("code 7k2m9qxp4tz1wn5a looked up", "wn5a"),
        ("code 7k2m 9qxp 4tz1 wn5a", "wn5a"),
        ("from 203.0.113.77", "203.0.113.77"),
        ("from 2001:db8:85a3::8a2e:370:7334", "8a2e:370:7334"),
    ],
)
def test_redact_removes_personal_data(text, secret):
    assert secret not in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "attachment download: user=3 attachment=17 complaint=12",
        "escalated 2 callbacks on 2026-12-02 10:15:00",
        "GET /incidents/?page=2&year=2024 HTTP/1.1",
    ],
)
def test_redact_leaves_ordinary_messages_alone(text):
    assert redact(text) == text


@pytest.fixture
def console():
    """What the configured console handler writes, after its filters."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactPersonalData) for f in h.filters)
    )
    stream = io.StringIO()
    old = handler.setStream(stream)
    yield stream
    handler.setStream(old)


def test_the_console_handler_redacts_whatever_logger_wrote_it(console):
    logging.getLogger("hotline.anything").warning(
        "could not reach %s at %s", "reporter@example.org", "+380671234567"
    )
    try:
        raise ValueError("duplicate key (email)=(reporter@example.org)")
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: /complaint/")
    written = console.getvalue()
    assert "could not reach [email] at [phone]" in written
    assert "Internal Server Error: /complaint/" in written
    assert "ValueError" in written  # the traceback is still there...
    assert "reporter@example.org" not in written  # ...without the address in it
    assert "1234567" not in written


@pytest.mark.django_db
def test_a_submission_writes_no_personal_data_to_the_log(client, console, settings):
    from tests.hotline.helpers import complaint_post_data

    logging.getLogger().setLevel(logging.DEBUG)
    try:
        data = complaint_post_data(
            email="hunted.reporter@example.org", phone="+380671239876", reporter_name="Olena"
        )
        client.post("/complaint/", data, follow=True)
    finally:
        logging.getLogger().setLevel(settings.LOGGING["root"]["level"])
    written = console.getvalue()
    assert "hunted.reporter" not in written
    assert "1239876" not in written


def test_error_reports_leave_out_the_form_the_variables_and_the_address(settings):
    settings.DEBUG = False
    # Built from pieces, so that the report's source-code excerpt (which shows this very
    # function) cannot contain the values the assertions look for.
    phone, email = "+380" + str(671239876), "hunted" + "@" + "example.org"
    description = " ".join(["they", "came", "at", "night"])
    addresses = [".".join(["203", "0", "113", "77"]), ".".join(["198", "51", "100", "9"])]
    request = RequestFactory().post(
        "/complaint/",
        {"phone": phone, "email": email, "description": description},
        REMOTE_ADDR=addresses[0],
        HTTP_X_FORWARDED_FOR=addresses[1],
    )
    try:
        raise RuntimeError("the mail server refused")
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
    for report in (reporter.get_traceback_text(), reporter.get_traceback_html()):
        assert "the mail server refused" in report
        assert "RuntimeError" in report
        for secret in [phone, email, description, *addresses]:
            assert secret not in report

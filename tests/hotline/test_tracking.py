import datetime
import math
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline import tracking
from hotline.models import Complaint
from incidents.models import Incident

from .factories import CaseMessageFactory, complaint_with_code
from .helpers import complaint_post_data, said, shown

CODE_SHAPE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")
# Codes given out today (16 symbols) and before December 2026 (12).
codes = st.one_of(
    st.text(alphabet=tracking.ALPHABET, min_size=16, max_size=16),
    st.text(alphabet=tracking.ALPHABET, min_size=12, max_size=12),
)


def _not_found():
    return shown(
        "We found no complaint with this code. Check the code and try again, or call us at "
        "%(number)s.",
        number="(050) 447-70-63",
    )


# --- The code itself ------------------------------------------------------------------------------


def test_generated_codes_have_the_shape_and_alphabet():
    for _ in range(200):
        code = tracking.generate()
        assert CODE_SHAPE.match(code), code
        assert not set(code) & set("ILOU")


def test_codes_carry_at_least_80_bits():
    assert len(set(tracking.ALPHABET)) == 32
    assert len(tracking.normalise(tracking.generate())) * math.log2(32) >= 80
    assert tracking.LENGTH * math.log2(len(set(tracking.ALPHABET))) >= 80
    assert len({tracking.generate() for _ in range(1000)}) == 1000


@given(codes)
def test_normalise_forgives_case_spaces_and_dashes(raw):
    canonical = tracking.normalise(raw)
    assert canonical == raw
    spaced = " ".join(raw[i : i + 4] for i in range(0, len(raw), 4)).lower()
    assert tracking.normalise(spaced) == canonical
    assert tracking.normalise(f" {raw[:6]}-{raw[6:]} ") == canonical


@given(codes)
def test_normalise_reads_look_alike_letters_as_digits(raw):
    typed = raw.replace("0", "O").replace("1", "l")
    assert tracking.normalise(typed) == raw
    assert tracking.normalise(raw.replace("1", "I").lower()) == raw


@pytest.mark.parametrize(
    "typed", ["", "K7Q4-9XMD-2RH", "K7Q4-9XMD-2RHPP", "K7Q4-9XMD-2RHU", "????"]
)
def test_normalise_refuses_what_cannot_be_a_code(typed):
    assert tracking.normalise(typed) is None


@pytest.mark.django_db
def test_database_keeps_only_a_hash_of_the_code():
    complaint, code = complaint_with_code()
    stored = complaint.tracking_code_hash
    assert re.fullmatch(r"[0-9a-f]{64}", stored)
    assert stored != code
    canonical = tracking.normalise(code)
    # No column of the complaint row, nor of its history, holds the code in any form.
    table = Complaint._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - a fixed table name
        rows = cursor.fetchall()
        cursor.execute(f"SELECT * FROM {Complaint.history.model._meta.db_table}")  # noqa: S608
        rows += cursor.fetchall()
    for row in rows:
        for value in row:
            assert code not in str(value)
            assert canonical not in str(value)


def test_codes_from_before_a_key_rotation_still_work(settings):
    code = tracking.generate()
    old = tracking.digest(code)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a brand new secret key for the rotation test, long enough"
    assert tracking.digest(code) != old
    assert old in tracking.candidate_digests(code)


# --- The thank-you page shows the code once ------------------------------------------------------


def _thanks_code(page: str) -> str:
    return re.search(r'id="tracking-code">([^<]+)<', page).group(1)


@pytest.mark.django_db
def test_thank_you_page_keeps_the_code_until_it_is_typed_back(client):
    response = client.post(reverse("hotline:complaint"), complaint_post_data(), follow=True)
    code = _thanks_code(response.content.decode())
    assert CODE_SHAPE.match(code)
    assert tracking.digest(code) == Complaint.objects.get().tracking_code_hash

    # Leaving and coming back: still there, so nobody loses it by a wrong click.
    again = client.get(reverse("hotline:complaint-thanks")).content.decode()
    assert code in again

    # A mistyped code: said so, and the code stays on the page to compare.
    wrong = code[:-1] + ("A" if code[-1] != "A" else "B")
    page = client.post(
        reverse("hotline:complaint-thanks"), {"action": "check", "typed": wrong}
    ).content.decode()
    assert shown("This is not the same code. Compare it sign by sign with the code above.") in page
    assert code in page and f'value="{wrong}"' in page

    # Typed back as people type it: lower case, spaces instead of dashes, O for 0.
    typed = code.lower().replace("-", " ").replace("0", "o")
    page = client.post(
        reverse("hotline:complaint-thanks"), {"action": "check", "typed": typed}
    ).content.decode()
    assert 'id="code-confirmed"' in page
    assert code not in page
    later = client.get(reverse("hotline:complaint-thanks")).content.decode()
    assert code not in later
    assert (
        shown(
            "The tracking code is no longer shown here. If you lost it, call us at %(number)s.",
            number="(050) 447-70-63",
        )
        in later
    )


@pytest.mark.django_db
def test_the_receipt_card_is_a_plain_text_file_with_the_code(client):
    response = client.post(reverse("hotline:complaint"), complaint_post_data(), follow=True)
    code = _thanks_code(response.content.decode())
    card = client.post(reverse("hotline:complaint-thanks"), {"action": "card"})
    assert card["Content-Type"] == "text/plain; charset=utf-8"
    assert card["Content-Disposition"] == 'attachment; filename="imi-receipt.txt"'
    assert "no-store" in card["Cache-Control"]
    text = card.content.decode()
    assert code in text
    assert "http://testserver/complaint/status/" in text
    assert "<" not in text  # a text file, not a page


@pytest.mark.django_db
def test_the_thank_you_page_forgets_an_unconfirmed_code_after_an_hour(client):
    import time_machine

    response = client.post(reverse("hotline:complaint"), complaint_post_data(), follow=True)
    code = _thanks_code(response.content.decode())
    with time_machine.travel(datetime.timedelta(minutes=61)):
        assert code not in client.get(reverse("hotline:complaint-thanks")).content.decode()


@pytest.mark.django_db
def test_codes_given_out_before_still_open_their_case(client):
    """A 60-bit code from before December 2026 is still a key to its case."""
    raw = "".join(tracking.ALPHABET[i % 32] for i in range(7, 19))
    old = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
    from .factories import ComplaintFactory

    ComplaintFactory(tracking_code_hash=tracking.digest(old), status=Complaint.Status.VERIFYING)
    page = client.post(reverse("hotline:track"), {"code": old.lower()}, follow=True)
    assert 'id="complaint-status"' in page.content.decode()


# --- The tracking page -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_tracking_page_shows_status_and_public_updates_only(client):
    complaint, code = complaint_with_code(
        status=Complaint.Status.VERIFYING,
        reporter_name="Ivanna Koval",
        email="ivanna.private@example.org",
        phone="+380671234567",
        description="A very private account of what happened at the court, long enough.",
        safe_times="never call before noon",
    )
    CaseMessageFactory(complaint=complaint, text="We asked the police for comment.")
    response = client.post(reverse("hotline:track"), {"code": code.lower()}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert shown("Being verified") in page
    assert "We asked the police for comment." in page
    for private in (
        "Ivanna Koval",
        "ivanna.private@example.org",
        "+380671234567",
        "+380 67 123 4567",
        "A very private account",
        "never call before noon",
    ):
        assert private not in page
    assert _not_found() not in page


@pytest.mark.django_db
def test_tracking_page_links_the_published_incident(client, django_capture_on_commit_callbacks):
    from hotline.services.publication import (
        complaint_publication_sync,
        incident_draft_from_complaint,
    )
    from incidents.services import incident_publish

    complaint, code = complaint_with_code(status=Complaint.Status.VERIFIED, consent_publish=True)
    incident = incident_draft_from_complaint(complaint=complaint)
    incident.lead, incident.body = "A journalist was beaten.", "The story."
    incident.save()
    page = client.post(reverse("hotline:track"), {"code": code}, follow=True).content.decode()
    assert incident.get_absolute_url() not in page  # a draft is not linked

    incident_publish(incident=incident)
    complaint_publication_sync()
    page = client.post(reverse("hotline:track"), {"code": code}, follow=True).content.decode()
    assert incident.get_absolute_url() in page
    assert shown("Read the published incident") in page
    assert shown("Published") in page
    assert Incident.objects.get().is_public


@pytest.mark.django_db
def test_public_update_is_shown_as_text_not_html(client):
    complaint, code = complaint_with_code()
    CaseMessageFactory(complaint=complaint, text='<script>alert("xss")</script>')
    page = client.post(reverse("hotline:track"), {"code": code}, follow=True).content.decode()
    assert '<script>alert("xss")</script>' not in page
    assert "&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;" in page


@pytest.mark.django_db
def test_wrong_code_and_unknown_code_get_the_same_neutral_answer(client):
    complaint, code = complaint_with_code()
    canonical = tracking.normalise(code)
    last = tracking.ALPHABET[(tracking.ALPHABET.index(canonical[-1]) + 1) % 32]
    wrong = canonical[:-1] + last
    unknown = tracking.generate()

    answers = []
    for typed in (wrong, unknown):
        response = client.post(reverse("hotline:track"), {"code": typed}, follow=True)
        assert response.status_code == 200
        page = response.content.decode()
        assert _not_found() in page
        assert 'id="complaint-status"' not in page
        answers.append(re.search(r'<div class="alert[^>]*id="not-found">.*?</div>', page, re.S)[0])
    assert answers[0] == answers[1]


@pytest.mark.django_db
def test_malformed_code_gets_a_form_error_and_no_complaint(client):
    complaint_with_code()
    response = client.post(reverse("hotline:track"), {"code": "hello"}, follow=True)
    page = response.content.decode()
    assert (
        shown(
            "A tracking code has 16 letters and digits, like K7Q4-9XMD-2RHP-5WNA"
            " (codes given out before December 2026 have 12)."
        )
        in page
    )
    assert 'id="complaint-status"' not in page


@pytest.mark.django_db
def test_tracking_page_form_is_empty_after_a_lookup(client):
    _, code = complaint_with_code()
    page = client.post(reverse("hotline:track"), {"code": code}, follow=True).content.decode()
    assert f'value="{code}"' not in page


def track(code, address="192.0.2.1"):
    return Client(REMOTE_ADDR=address).post(reverse("hotline:track"), {"code": code}, follow=True)


def opened(response) -> bool:
    return response.status_code == 200 and 'id="complaint-status"' in response.content.decode()


@pytest.mark.django_db
def test_wrong_codes_are_limited_per_address_and_the_right_code_still_opens(client):
    """Issue 29: a newsroom, a shelter's Wi-Fi or a Tor exit shares the reporter's address;
    twenty wrong codes from it used to lock the reporter out of their own case."""
    _, code = complaint_with_code()
    for _ in range(20):
        assert track(tracking.generate()).status_code == 200  # "no such code"
    refused = track(tracking.generate())
    assert refused.status_code == 429
    assert shown("Too many attempts") in refused.content.decode()
    from imi_portal.context_processors import _hotline

    message = said(
        "This code does not open a case, and too many wrong codes were tried in a short time."
        " The right code always opens its case: compare yours sign by sign with where you"
        " saved it, or call the hotline %(number)s: we are available 24/7.",
        number=_hotline()["display"],
    )
    assert message.split(":")[0] in refused.content.decode()  # up to its first colon
    assert opened(track(code))  # the reporter, behind the same address
    assert track(tracking.generate(), "198.51.100.7").status_code == 200  # others: their own


@pytest.mark.django_db
def test_a_guesser_with_many_addresses_gains_nothing_and_locks_nobody_out(settings):
    settings.RATE_LIMIT_TRACK_PREFIX = "10/h"
    _, code = complaint_with_code()
    prefix = code[:4]

    def near_miss():
        return prefix + tracking.generate()[4:]

    for n in range(10):  # ten addresses, one guess each, all aimed at the code's first symbols
        assert track(near_miss(), f"203.0.113.{n}").status_code == 200
    assert track(near_miss(), "203.0.113.99").status_code == 429  # a fresh address: refused
    assert track(tracking.generate(), "203.0.113.98").status_code == 200  # other prefixes
    assert opened(track(code, "203.0.113.97"))


@pytest.mark.django_db
def test_codes_of_the_first_kind_keep_a_stricter_limit(settings):
    settings.RATE_LIMIT_TRACK_OLD = "3/h"
    raw = "".join(tracking.ALPHABET[i % 32] for i in range(3, 15))
    from .factories import ComplaintFactory

    ComplaintFactory(tracking_code_hash=tracking.digest(raw))
    for _ in range(3):
        assert track(tracking.generate()[:14]).status_code == 200  # 12 symbols, wrong
    assert track(raw).status_code == 429  # past it, not even the right one is looked up
    assert opened(track(raw, "198.51.100.8"))


@pytest.mark.django_db
@settings(max_examples=25, deadline=None)
@given(
    wrong=st.integers(min_value=0, max_value=45),
    typed=st.sampled_from(["as given", "lower", "spaces", "no dashes", "look-alikes"]),
    last_octet=st.integers(min_value=1, max_value=254),
)
def test_whatever_a_neighbour_tried_the_right_code_opens_its_case(wrong, typed, last_octet):
    _, code = complaint_with_code()
    address = f"100.64.{wrong}.{last_octet}"
    for _ in range(wrong):
        track(tracking.generate(), address)
    variant = {
        "as given": code,
        "lower": code.lower(),
        "spaces": code.replace("-", " "),
        "no dashes": code.replace("-", ""),
        "look-alikes": code.replace("0", "O").replace("1", "l"),
    }[typed]
    assert opened(track(variant, address))


@pytest.mark.django_db
def test_rate_limited_page_is_translated(client):
    from django.utils import translation

    with translation.override("en"):
        url = reverse("hotline:track")
    for _ in range(20):
        client.post(url, {"code": "x"})
    response = client.post(url, {"code": "x"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.django_db
def test_html_submitted_in_every_field_never_reaches_the_tracking_page(client):
    xss = '<script>alert("xss")</script>'
    data = complaint_post_data(
        reporter_name=xss,
        outlet=xss,
        safe_times=xss,
        place=xss,
        links=xss,
        description=xss + " and then they broke my camera at the court building.",
    )
    page = client.post(reverse("hotline:complaint"), data, follow=True).content.decode()
    code = re.search(r'id="tracking-code">([^<]+)<', page).group(1)
    page = client.post(reverse("hotline:track"), {"code": code}, follow=True).content.decode()
    assert 'id="complaint-status"' in page
    assert xss not in page
    assert "alert(" not in page

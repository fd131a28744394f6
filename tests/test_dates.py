"""Dates in the page's language's format (issue 33): Chromium draws <input type="date"> in
the browser's own locale and ignores the page's `lang`, so a Ukrainian page in an English
browser asked for mm/dd/yyyy. The site's date fields are text fields that show and read the
page's format, day first, and read the ISO form the addresses carry."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.widgets import PageDateInput, parse_typed_date
from tests.incidents.pages import parse

pytestmark = pytest.mark.django_db


@given(st.dates(min_value=datetime.date(1991, 1, 1), max_value=datetime.date(2099, 12, 31)))
@settings(max_examples=200, deadline=None)
def test_every_way_a_date_is_typed_reads_the_same_day(day):
    for typed in (
        f"{day:%d.%m.%Y}",
        f"{day.day}.{day.month}.{day.year}",
        f"{day:%d/%m/%Y}",
        day.isoformat(),
        f" {day:%d.%m.%Y} ",
    ):
        assert parse_typed_date(typed) == day, typed


@pytest.mark.parametrize(("prefix", "placeholder"), [("", "дд.мм.рррр"), ("/en", "dd.mm.yyyy")])
def test_the_date_fields_say_the_pages_format_and_show_dates_in_it(client, prefix, placeholder):
    page = parse(client.get(f"{prefix}/incidents/?date_from=2024-01-31&date_to=2024-12-31"))
    field = page.by_id("id_date_from")
    assert field.attrs["type"] == "text" and field.attrs["inputmode"] == "numeric"
    assert field.attrs["placeholder"] == placeholder
    assert field.attrs["value"] == "31.01.2024"  # the address's ISO date, as the page writes it
    form = parse(client.get(f"{prefix}/complaint/")).by_id("id_occurred_on")
    assert form.attrs["type"] == "text" and form.attrs["placeholder"] == placeholder


def test_a_date_typed_day_first_filters_like_the_iso_one(client):
    from tests.incidents.factories import IncidentFactory
    from tests.incidents.pages import result_count

    IncidentFactory(occurred_on=datetime.date(2024, 3, 5))
    IncidentFactory(occurred_on=datetime.date(2024, 3, 20))
    typed = client.get("/incidents/?date_from=5.3.2024&date_to=10.03.2024")
    iso = client.get("/incidents/?date_from=2024-03-05&date_to=2024-03-10")
    assert result_count(typed) == result_count(iso) == 1


def test_the_widget_renders_a_date_object_day_first():
    html = PageDateInput().render("d", datetime.date(2026, 12, 7))
    assert 'value="07.12.2026"' in html and 'type="text"' in html

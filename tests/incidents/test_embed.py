"""The barometer's charts for other sites (issue 32): the SVG, the page for an <iframe> and the
PNG, read as another site's reader gets them, and compared with the statistics page's own
tables (the CSV of each, "exactly the numbers shown under the chart") for the same filters."""

import csv
import datetime
import io
import random

import pytest
from defusedxml import ElementTree
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.models import Category, Incident, Region
from incidents.services import incident_publish, monthly_report_publish
from tests.shared_data import shared_data

from .factories import IncidentFactory
from .pages import parse

SVG_NS = "{http://www.w3.org/2000/svg}"
CHARTS = ["months", "russia", "groups", "categories", "regions", "perpetrators"]
YEAR_2019 = {"date_from": "2019-01-01", "date_to": "2019-12-31"}
LEAVES = ["beating", "threats", "detention", "censorship", "cyberattack", "killing"]
REGIONS = ["kyiv", "kharkiv", "lviv", "odesa"]
PERPETRATORS = ["police", "unknown", "russian_forces", "officials"]


def svg_of(response):
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("image/svg+xml")
    return ElementTree.fromstring(response.content)


def svg_values(root) -> list[int]:
    """The numbers the bar chart writes beside its bars, in order."""
    return [int(node.text) for node in root.iter(f"{SVG_NS}text") if "data-value" in node.attrib]


def csv_rows(client, name, params) -> list[list[str]]:
    response = client.get(f"/stats/table/{name}.csv", params)
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return [row for row in rows if row and not row[0].startswith("#")][1:]


def embed_table(response) -> list[list[str]]:
    """The embed page's table: each row's label and numbers."""
    table = parse(response).find("table")
    return [
        [tr.find("th").text.strip(), *(td.text.strip() for td in tr.find_all("td"))]
        for tr in table.find("tbody").find_all("tr")
        if tr.find("th") is not None
    ]


@shared_data
def dataset():
    """Thirty incidents over 2019."""
    rng = random.Random(32)
    for n in range(30):
        IncidentFactory(
            title=f"Embedded case {n}",
            occurred_on=datetime.date(2019, 1, 1) + datetime.timedelta(days=rng.randint(0, 364)),
            categories=[Category.objects.get(slug=rng.choice(LEAVES))],
            region=Region.objects.get(slug=rng.choice(REGIONS)),
            perpetrator_type=rng.choice(PERPETRATORS),
        )


# --- Without data -------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_dates_the_default_period_is_written_into_the_address(client):
    response = client.get("/stats/embed/regions/", {"region": "kyiv"})
    assert response.status_code == 302
    assert "date_from=" in response["Location"] and "region=kyiv" in response["Location"]


@pytest.mark.django_db
def test_unknown_chart_is_not_found(client):
    assert client.get("/stats/embed/nothing/", YEAR_2019).status_code == 404
    assert client.get("/stats/embed/nothing.svg", YEAR_2019).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("chart", [*CHARTS, "figure"])
def test_a_filter_that_matches_nothing_says_so_and_is_still_captioned(client, chart):
    params = {**YEAR_2019, "region": "lviv"}
    root = svg_of(client.get(f"/stats/embed/{chart}.svg", params))
    texts = " ".join(node.text or "" for node in root.iter(f"{SVG_NS}text"))
    if chart == "figure":
        assert "0" in texts
    else:
        assert "No incidents match" in texts or "Жоден інцидент" in texts or "Немає" in texts
    assert "01.01.2019 – 31.12.2019" in texts
    page = client.get(f"/en/stats/embed/{chart}/", params)
    assert page.status_code == 200
    caption = parse(page).find("figcaption").text
    assert "Lviv" in caption and "live as of" in caption


@pytest.mark.django_db
def test_a_script_in_a_parameter_is_not_reflected(client):
    script = "<script>alert(1)</script>"
    params = {**YEAR_2019, "region": script, "evil": script, "year": script, "rule": script}
    for path in ("/stats/embed/regions/", "/stats/embed/regions.svg", "/en/stats/embed/months/"):
        response = client.get(path, params)
        # To the filters understood: the address carries nothing else.
        assert response.status_code == 302
        assert response["Location"] == f"{path}?date_from=2019-01-01&date_to=2019-12-31"
        response = client.get(path, params, follow=True)
        assert response.status_code == 200
        body = response.content.decode()
        assert "<script" not in body and "alert(1)" not in body, path
    # A search's words are a filter: shown, escaped.
    response = client.get("/en/stats/embed/figure/", {"q": script, **YEAR_2019})
    body = response.content.decode()
    assert "<script" not in body and "&lt;script&gt;" in body


@pytest.mark.django_db
def test_five_hundred_filter_values_are_refused(client):
    query = "&".join(f"region=r{n}" for n in range(500))
    for path in ("/stats/embed/regions/", "/stats/embed/regions.svg", "/stats/embed/regions.png"):
        response = client.get(f"{path}?date_from=2019-01-01&{query}")
        assert response.status_code == 400, path
        assert b"r499" not in response.content


@pytest.mark.django_db
def test_only_the_embed_page_may_be_framed(client):
    embed = client.get("/stats/embed/groups/", YEAR_2019)
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed
    policy = embed["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["frame-ancestors"] == "*"
    assert "default-src 'self'" in policy  # the rest of the policy holds
    for path in ("/stats/", "/en/stats/", "/incidents/", "/stats/embed/groups.svg"):
        response = client.get(path, YEAR_2019)
        assert response.status_code == 200, path
        assert response["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], path


@pytest.mark.django_db
def test_the_frame_ancestors_are_a_setting(client, settings):
    settings.EMBED_FRAME_ANCESTORS = ["https://partner.example"]
    policy = client.get("/stats/embed/groups/", YEAR_2019)["Content-Security-Policy"]
    assert "frame-ancestors https://partner.example" in policy


@pytest.mark.django_db
def test_cached_embed_page_keeps_its_framing_headers(client, page_cache):
    first = client.get("/stats/embed/groups/", YEAR_2019)
    second = client.get("/stats/embed/groups/", YEAR_2019)
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert "X-Frame-Options" not in second
    assert "frame-ancestors *" in second["Content-Security-Policy"]


# --- With data ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("chart", [*CHARTS, "figure"])
def test_svg_is_well_formed_with_title_and_description(client, dataset, chart):
    root = svg_of(client.get(f"/stats/embed/{chart}.svg", YEAR_2019))
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("role") == "img" and root.get("viewBox")
    title, desc = root.find(f"{SVG_NS}title"), root.find(f"{SVG_NS}desc")
    assert title.text and desc.text
    assert "live as of" in desc.text or "станом на" in desc.text
    # Coordinates are numbers in any language (Ukrainian writes "52,3" for 52.3).
    for node in root.iter():
        for name in ("x", "y", "width", "height", "x1", "x2", "y1", "y2"):
            if name in node.attrib:
                float(node.attrib[name])


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_embed_page_caption_and_table(client, dataset, prefix):
    response = client.get(f"{prefix}/stats/embed/regions/", {**YEAR_2019, "perpetrator": "police"})
    page = parse(response)
    assert page.find("svg") is not None and page.find("script") is None
    caption = page.find("figcaption")
    link = caption.find("a")
    assert link.attrs["href"].endswith(
        f"{prefix}/stats/?perpetrator=police&date_from=2019-01-01&date_to=2019-12-31"
    )
    if prefix:
        assert "Perpetrator: Police" in caption.text
        assert "live as of" in caption.text
    # Nothing from another host, nothing inline.
    assert all(not tag.attrs.get("src") for tag in page.find_all(["img", "script", "iframe"]))
    assert [tag.attrs["href"] for tag in page.find_all("link")] == ["/static/css/embed.css"]


FILTERS = st.fixed_dictionaries(
    {},
    optional={
        "region": st.sampled_from(["kyiv", "kharkiv", "lviv", "nowhere"]),
        "category": st.sampled_from(["beating", "threats", "x"]),
        "perpetrator": st.sampled_from(PERPETRATORS),
        "rule": st.sampled_from(["every", "severest"]),
        "month": st.sampled_from(["3", "7", "13"]),
    },
)


@pytest.mark.django_db
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(params=FILTERS, chart=st.sampled_from(CHARTS))
def test_numbers_are_the_stats_pages_table(client, dataset, params, chart):
    params = {**params, "year": "2019"}
    expected = csv_rows(client, chart, params)
    # (filters not understood are dropped by a redirect: the CSV ignores them the same way)
    shown = embed_table(client.get(f"/stats/embed/{chart}/", params, follow=True))
    # The CSV names a month by its key (2019-03), the table by its label.
    assert [row[1:] for row in shown] == [row[1:] for row in expected]
    if chart not in ("months", "russia"):
        assert [row[0] for row in shown] == [row[0] for row in expected]
    root = svg_of(client.get(f"/stats/embed/{chart}.svg", params, follow=True))
    if chart in ("months", "russia"):
        drawn = [
            rect.find(f"{SVG_NS}title").text
            for rect in root.iter(f"{SVG_NS}rect")
            if rect.find(f"{SVG_NS}title") is not None
        ]
        nonzero = sum(
            1
            for row in expected
            for value in (row[2:] if chart == "months" else row[1:3])
            if int(value)
        )
        assert len(drawn) == nonzero
    elif any(int(row[1]) for row in expected):
        assert svg_values(root) == [int(row[1]) for row in expected]
    else:  # every row 0 (the groups are listed all the same): the chart says so
        assert svg_values(root) == []
        assert root.find(f".//{SVG_NS}text[@font-size='18'][@text-anchor='middle']") is not None


@pytest.mark.django_db
def test_png_is_a_png_of_sane_size(client, dataset):
    pytest.importorskip("cairosvg")
    response = client.get("/stats/embed/months.png", YEAR_2019)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    body = response.content
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")
    assert width == 960 and 300 < height < 2000
    assert 2_000 < len(body) < 500_000


@pytest.mark.django_db
def test_a_published_month_embeds_its_frozen_figures(client, dataset, django_user_model):
    monthly_report_publish(month=datetime.date(2019, 3, 1))
    frozen = client.get("/en/stats/embed/figure/", {"year": "2019", "month": "3"})
    caption = parse(frozen).find("figcaption").text
    assert "Barometer for March 2019 (as published on" in caption
    before = embed_table(frozen)
    IncidentFactory(occurred_on=datetime.date(2019, 3, 5))
    after = embed_table(client.get("/en/stats/embed/figure/", {"year": "2019", "month": "3"}))
    assert after == before  # never recounted
    live = client.get("/en/stats/embed/figure/", {"year": "2019", "month": "3", "region": "kyiv"})
    assert "live as of" in parse(live).find("figcaption").text


@pytest.mark.django_db
def test_the_cached_embed_is_dropped_after_a_publication(client, dataset, page_cache):
    params = {**YEAR_2019, "region": "odesa"}
    first = client.get("/stats/embed/figure.svg", params)
    assert client.get("/stats/embed/figure.svg", params)["X-Page-Cache"] == "hit"
    before = int(svg_of(first).find(f".//{SVG_NS}text[@font-size='56']").text)
    draft = IncidentFactory(
        draft=True, occurred_on=datetime.date(2019, 5, 5), region=Region.objects.get(slug="odesa")
    )
    incident_publish(incident=draft)
    again = client.get("/stats/embed/figure.svg", params)
    assert again["X-Page-Cache"] == "miss"
    assert int(svg_of(again).find(f".//{SVG_NS}text[@font-size='56']").text) == before + 1


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/en"])
def test_stats_page_offers_the_embed_dialog(client, dataset, prefix):
    page = parse(client.get(f"{prefix}/stats/", {**YEAR_2019, "region": "kyiv"}))
    for chart in CHARTS:
        iframe = page.by_id(f"embed-iframe-{chart}").text
        img = page.by_id(f"embed-img-{chart}").text
        assert f"{prefix}/stats/embed/{chart}/?region=kyiv&amp;date_from=2019-01-01" in iframe
        assert 'height="' in iframe and 'title="' in iframe
        assert f"{prefix}/stats/embed/{chart}.svg?" in img and 'alt="' in img
    assert Incident.objects.exists()


# --- Shortcodes in articles ---------------------------------------------------------------


@pytest.mark.django_db
def test_shortcodes_are_drawn_into_the_article(client, dataset):
    today = timezone.localdate().strftime("%d.%m.%Y")
    figure = (
        Incident.objects.public().filter(region__slug="kharkiv", occurred_on__year=2019).count()
    )
    article = IncidentFactory(
        language="en",
        body=(
            "So far [[figure region=kharkiv year=2019]] incidents.\n\n"
            "[[chart name=regions year=2019]]\n\n"
            "<script>alert(1)</script>"
        ),
    )
    html = article.body_html
    assert f"<strong>{figure}</strong>" in html and f"(as of {today})" in html
    assert '<figure class="barometer-chart">' in html and "<svg" in html
    assert "<p><figure" not in html
    assert "<script" not in html
    root = ElementTree.fromstring(html[html.index("<svg") : html.index("</svg>") + 6])
    assert root.find(f"{SVG_NS}title").text == "By region"
    page = client.get("/en" + article.get_absolute_url())
    assert page.status_code == 200 and f"<strong>{figure}</strong>" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code",
    [
        "[[chart name=nothing year=2019]]",
        "[[chart year=2019]]",
        "[[figure region=<script>alert(1)</script>]]",
        "[[figure region=atlantis]]",
        "[[figure colour=red]]",
        "[[figure year]]",
        "[[figure " + "year=2019 " * 50 + "]]",
    ],
)
def test_an_invalid_shortcode_is_dropped_for_the_public_and_named_to_staff(code):
    article = IncidentFactory(body=f"Before.\n\n{code}\n\nAfter.")
    html = article.body_html
    assert "Before." in html and "After." in html
    assert "[[" not in html and "<script" not in html and "imishortcode" not in html
    assert "<svg" not in html and "barometer-figure" not in html
    with pytest.raises(ValidationError) as error:
        article.full_clean()
    assert "body" in error.value.message_dict

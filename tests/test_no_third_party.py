"""No page makes a visitor's browser fetch anything from another host: no CDN, no fonts,
no trackers, no embedded media. Reading a page about a threatened journalist leaves no trace
with a third party."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.incidents.factories import IncidentFactory, SourceLinkFactory, VictimFactory

STATIC = Path(__file__).resolve().parent.parent / "static"
URL_IN_CSS = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE)
IMPORT_IN_CSS = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'")\s;]+)""", re.IGNORECASE)


class ResourceCollector(HTMLParser):
    """Every address the browser would load by itself while rendering the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.resources = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        rel = set(attrs.get("rel", "").lower().split())
        if tag == "script" and "src" in attrs:
            self.resources.append(("script src", attrs["src"]))
        if tag == "link" and rel & {"stylesheet", "icon", "preload", "modulepreload", "prefetch"}:
            self.resources.append((f"link rel={attrs.get('rel')}", attrs.get("href", "")))
        if tag in {"img", "source", "iframe", "embed", "video", "audio", "track", "input"}:
            for name in ("src", "srcset", "poster"):
                if name in attrs:
                    self.resources.append((f"{tag} {name}", attrs[name]))
        if tag == "object" and "data" in attrs:
            self.resources.append(("object data", attrs["data"]))
        for match in URL_IN_CSS.finditer(attrs.get("style", "")):
            self.resources.append((f"{tag} style url()", match.group(2)))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)


def is_same_host(address: str) -> bool:
    address = address.strip()
    if address.startswith("data:"):
        return True
    if address.startswith("//"):  # protocol-relative: another host
        return False
    return not re.match(r"^[a-z][a-z0-9+.-]*:", address, re.IGNORECASE)


def foreign_resources(html: str) -> list[tuple[str, str]]:
    collector = ResourceCollector()
    collector.feed(html)
    collector.close()
    return [
        (kind, address)
        for kind, address in collector.resources
        for part in address.split(",")  # srcset lists several candidates
        if not is_same_host(part.strip().split(" ")[0])
    ]


@pytest.fixture
def detail_path(db):
    """An article whose author tried to embed things from elsewhere."""
    incident = IncidentFactory(
        slug="embedded",
        body=(
            "Look: ![pixel](https://tracker.example.com/pixel.gif)\n\n"
            '<iframe src="https://video.example.com/embed/1"></iframe>\n\n'
            '<img src="//cdn.example.com/x.png" srcset="https://cdn.example.com/x2.png 2x">\n\n'
            '<p style="background: url(https://cdn.example.com/bg.png)">styled</p>\n\n'
            '<script src="https://cdn.example.com/evil.js"></script>'
        ),
    )
    IncidentFactory(slug="related")  # the related list renders too
    VictimFactory(incident=incident)
    SourceLinkFactory(incident=incident, url="https://example.org/report")
    return "/incidents/embedded/"


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", ["", "/en"])
@pytest.mark.parametrize(
    "path, status",
    [
        ("/", 200),
        ("/incidents/", 200),
        ("/incidents/?q=x&region=kyiv&page=2", 200),
        ("DETAIL", 200),
        ("/callback/", 200),
        ("/complaint/", 200),
        ("/support/", 200),
        ("/no-such-page/", 404),
        ("/incidents/no-such-incident/", 404),
    ],
)
def test_public_page_loads_nothing_from_another_host(client, detail_path, prefix, path, status):
    if path == "DETAIL":
        path = detail_path
    response = client.get(prefix + path)
    assert response.status_code == status
    html = response.content.decode()
    collector = ResourceCollector()
    collector.feed(html)
    assert collector.resources, "the page loads its own stylesheet and script at least"
    assert foreign_resources(html) == []


def test_the_checker_catches_foreign_resources():
    html = (
        '<script src="https://cdn.example.com/a.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.com/f.css">'
        '<link rel="icon" href="http://example.com/favicon.ico">'
        '<img src="/static/ok.png"><img src="https://x.example/y.png">'
        '<source src="https://x.example/v.mp4"><iframe src="https://x.example/"></iframe>'
        "<div style=\"background:url('https://x.example/bg.png')\"></div>"
        '<a href="https://example.org/">a plain link is fine</a>'
    )
    assert [kind for kind, _ in foreign_resources(html)] == [
        "script src",
        "link rel=stylesheet",
        "link rel=icon",
        "img src",
        "source src",
        "iframe src",
        "div style url()",
    ]


def stylesheets():
    return sorted(STATIC.glob("css/*.css")) + sorted(STATIC.glob("vendor/**/*.css"))


@pytest.mark.parametrize("path", stylesheets(), ids=lambda p: str(p.relative_to(STATIC)))
def test_stylesheets_load_nothing_from_another_host(path):
    css = path.read_text(encoding="utf-8")
    foreign_urls = [m.group(2) for m in URL_IN_CSS.finditer(css) if not is_same_host(m.group(2))]
    foreign_imports = [
        m.group(1) for m in IMPORT_IN_CSS.finditer(css) if not is_same_host(m.group(1))
    ]
    assert foreign_urls == []
    assert foreign_imports == []
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", css, re.IGNORECASE)


def test_site_stylesheet_exists():
    assert (STATIC / "css" / "site.css").is_file()
    assert any(p.name == "site.css" for p in stylesheets())

"""Reading rendered pages the way a visitor does: a small tree over the stdlib HTML parser."""

import re
from html.parser import HTMLParser

VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag = tag
        self.attrs = {name: (value or "") for name, value in attrs}
        self.parent = parent
        self.children = []

    @property
    def classes(self):
        return self.attrs.get("class", "").split()

    @property
    def text(self):
        parts = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text)
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag=None, class_=None, **attrs):
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag)
            and (class_ is None or class_ in node.classes)
            and all(node.attrs.get(name) == value for name, value in attrs.items())
        ]

    def find(self, tag=None, class_=None, **attrs):
        found = self.find_all(tag, class_, **attrs)
        return found[0] if found else None

    def by_id(self, element_id):
        return self.find(id=element_id)


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", [])
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(response_or_html) -> Node:
    html = getattr(response_or_html, "content", response_or_html)
    if isinstance(html, bytes):
        html = html.decode()
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def result_count(response) -> int:
    """The number in the "N incidents match" line of the list page."""
    element = parse(response).by_id("result-count")
    assert element is not None, "the list page has no result count"
    numbers = re.findall(r"\d+", element.text)
    assert len(numbers) == 1, element.text
    return int(numbers[0])


def card_titles(response_or_node) -> list[str]:
    """Titles of the incident cards on a page (or in a part of one), in order."""
    node = response_or_node if isinstance(response_or_node, Node) else parse(response_or_node)
    return [heading.find("a").text for heading in node.find_all("h3", class_="card-title")]


def pagination_links(response) -> list[str]:
    nav = parse(response).find("ul", class_="pagination")
    if nav is None:
        return []
    return [a.attrs["href"] for a in nav.find_all("a")]


def pagination_labels(response) -> list[str]:
    nav = parse(response).find("ul", class_="pagination")
    if nav is None:
        return []
    return [item.text for item in nav.find_all("li", class_="page-item")]


def url_of(incident, language="uk") -> str:
    """The incident's address in one interface language (requests leave a language active)."""
    from django.utils.translation import override

    with override(language):
        return incident.get_absolute_url()


# What the incident admin's form posts when no inline row is filled in (issue 17 added the
# perpetrators, cases and dated updates), and the motive, which the form requires.
ADMIN_INLINES_EMPTY = {
    "motive": "unconfirmed",
    **{
        f"{prefix}-{key}": "0"
        for prefix in ("sources", "victims", "perpetrators", "cases", "updates")
        for key in ("TOTAL_FORMS", "INITIAL_FORMS")
    },
}


def filter_form_html(response) -> str:
    """The filter panel as the page shows it."""
    html = response.content.decode()
    start = html.index('<aside class="col-lg-3 filters">')
    return html[start : html.index("</aside>", start)]

"""Article text: Markdown in, sanitised HTML out."""

import markdown
import nh3

# No <img>, <iframe> or <script>: an article must never make a reader's browser fetch from
# another host. Links stay, without passing a referrer.
ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan"},
    "th": {"colspan"},
}


def render_markdown(text: str) -> str:
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def slug_from_title(title: str, *, max_length: int = 140) -> str:
    """An address from a title in any of the site's languages: Ukrainian by the national
    transliteration standard (KMU 2010 No. 55, via translitua), then Django's slugify."""
    from django.utils.text import slugify
    from translitua import translit

    return slugify(translit(title or ""))[:max_length].strip("-")

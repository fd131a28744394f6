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


def render_markdown(text: str, *, shortcodes: bool = False) -> str:
    """Markdown to sanitised HTML. `shortcodes`: an article's barometer figures and charts
    (`[[chart …]]`, `[[figure …]]`, incidents/barometer/shortcodes.py) are drawn in, after
    sanitising, from the site's own escaping templates."""
    rendered = {}
    if shortcodes and _shortcodes is not None and "[[" in (text or ""):
        text, rendered = _shortcodes.expand(text)
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    html = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    if rendered:
        html = _shortcodes.insert(html, rendered)
    return html


# incidents/barometer/shortcodes.py, set by the app's ready(): it reads the models, which
# render their text here, so this module may not import it.
_shortcodes = None


def use_shortcodes(module) -> None:
    global _shortcodes  # noqa: PLW0603 -- wiring set once at start-up, never per request
    _shortcodes = module


def shortcode_problems(text: str) -> list[str]:
    """What staff are told about the barometer shortcodes in `text` that cannot be drawn."""
    return _shortcodes.problems(text) if _shortcodes is not None else []


def slug_from_title(title: str, *, max_length: int = 140) -> str:
    """An address from a title in any of the site's languages: Ukrainian by the national
    transliteration standard (KMU 2010 No. 55, via translitua), then Django's slugify."""
    from django.utils.text import slugify
    from translitua import translit

    return slugify(translit(title or ""))[:max_length].strip("-")

"""An archive's HTML as the Markdown the site accepts (incidents.text.render_markdown):
paragraphs, headings, links, lists, emphasis, quotes. Scripts, frames, styles, forms and
media go with their content; every other tag leaves its text."""

import html
import re
from html.parser import HTMLParser

import nh3

# What survives the first pass; nh3 drops the rest, and the content of DROPPED with it.
KEPT = {
    "a", "b", "strong", "i", "em", "p", "br", "div", "ul", "ol", "li", "h1", "h2", "h3",
    "h4", "h5", "h6", "blockquote", "code", "pre", "hr",
}  # fmt: skip
DROPPED = {
    "script", "style", "iframe", "object", "embed", "noscript", "form", "template",
    "svg", "math", "audio", "video", "textarea", "select", "button", "head", "title",
}  # fmt: skip
BLOCKS = {"p", "div", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr"}
# Markdown's own characters in running text, kept literal.
_SPECIAL = re.compile(r"([\\`*_\[\]])")
_LINE_START = re.compile(r"^(\s*)([#>+-]|\d+\.)(\s)", re.MULTILINE)


def _escape_start(match: re.Match) -> str:
    space, mark, after = match.groups()
    mark = f"{mark[:-1]}\\." if mark[0].isdigit() else f"\\{mark}"
    return f"{space}{mark}{after}"


class _Writer(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.line: list[str] = []
        self.lists: list[list] = []  # [kind, counter]
        self.quote = 0
        self.links: list[str | None] = []
        self.pre = 0
        self.in_item = 0  # the number of the list whose item is being written
        self.list_number = 0

    def _flush(self):
        text = "".join(self.line)
        self.line = []
        if not self.pre:
            indent = text[: len(text) - len(text.lstrip(" "))] if self.in_item else ""
            text = indent + " ".join(text.split())
        if text.strip():
            prefix = "> " * self.quote
            lines = "\n".join(prefix + part for part in text.split("\n"))
            self.blocks.append((lines, self.in_item))
        self.in_item = 0

    def handle_starttag(self, tag, attrs):
        if tag in BLOCKS or (tag == "li" and self.line):
            self._flush()
        if tag in ("ul", "ol"):
            if not self.lists:
                self.list_number += 1
            self.lists.append([tag, 0])
        elif tag == "li":
            self._flush()
            self.in_item = self.list_number
            indent = "    " * max(len(self.lists) - 1, 0)
            if self.lists and self.lists[-1][0] == "ol":
                self.lists[-1][1] += 1
                self.line.append(f"{indent}{self.lists[-1][1]}. ")
            else:
                self.line.append(f"{indent}- ")
        elif tag in ("h1", "h2"):
            self.line.append("## ")
        elif tag in ("h3", "h4", "h5", "h6"):
            self.line.append("### ")
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "pre":
            self.pre += 1
            self.line.append("```\n")
        elif tag in ("b", "strong"):
            self.line.append("**")
        elif tag in ("i", "em"):
            self.line.append("*")
        elif tag == "code" and not self.pre:
            self.line.append("`")
        elif tag == "br":
            self.line.append("  \n" if not self.pre else "\n")
        elif tag == "hr":
            self.blocks.append(("---", 0))
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if re.match(r"https?://", href, re.IGNORECASE):
                self.links.append(href.replace(")", "%29").replace(" ", "%20"))
                self.line.append("[")
            else:
                self.links.append(None)

    def handle_endtag(self, tag):
        if tag in ("b", "strong"):
            self.line.append("**")
        elif tag in ("i", "em"):
            self.line.append("*")
        elif tag == "code" and not self.pre:
            self.line.append("`")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.line.append(f"]({href})")
        elif tag == "pre":
            self.line.append("\n```")
            self._flush()
            self.pre = max(self.pre - 1, 0)
        elif tag in BLOCKS or tag == "li":
            self._flush()
            if tag in ("ul", "ol") and self.lists:
                self.lists.pop()
            elif tag == "blockquote":
                self.quote = max(self.quote - 1, 0)

    def handle_data(self, data):
        if self.pre:
            self.line.append(data)
            return
        text = _SPECIAL.sub(r"\\\1", data)
        if not "".join(self.line).strip():
            text = _LINE_START.sub(_escape_start, text)
        self.line.append(text)


def html_to_markdown(source: str) -> str:
    """Markdown for the HTML of an archive's article ("" when nothing readable is left).
    WordPress keeps paragraphs as blank lines, not <p>: those become paragraphs too."""
    if not source or not source.strip():
        return ""
    if "<p" not in source.lower() and "\n\n" in source:
        source = "".join(f"<p>{part}</p>" for part in re.split(r"\n\s*\n", source))
    cleaned = nh3.clean(
        source,
        tags=KEPT,
        clean_content_tags=DROPPED,
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel=None,
        strip_comments=True,
    )
    writer = _Writer()
    writer.feed(cleaned)
    writer.close()
    writer._flush()
    parts: list[str] = []
    for block, in_list in writer.blocks:
        if parts and in_list and parts[-1][1] == in_list:
            parts[-1] = (parts[-1][0] + "\n" + block, in_list)
        else:
            parts.append((block, in_list))
    return "\n\n".join(block for block, _ in parts).strip()


def plain_text(source: str) -> str:
    """The words of an HTML fragment (a title, a tag), nothing else."""
    text = nh3.clean(source or "", tags=set(), clean_content_tags=DROPPED)
    return " ".join(html.unescape(text).split())

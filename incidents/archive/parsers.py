"""Archive files read item by item, in flat memory: a WordPress export (WXR), an RSS or Atom
feed, a CSV with a column mapping. Each yields `RawItem`s (the archive's own strings, not yet
judged) or `ItemError`s, numbered from 1 in the order of the file; an error that stops the
reading (a file that is not XML, a broken CSV) is an `ArchiveError`.

XML is parsed by defusedxml's iterparse over the standard expat parser: no DTD entities, no
external entities, no network; each item is dropped from the tree once read, so a 500 MB
export takes no more memory than a small one."""

import codecs
import csv
import dataclasses
import hashlib
import io
from collections.abc import Callable, Iterator
from typing import IO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.utils.translation import gettext as _

from .markdown import plain_text


class ArchiveError(Exception):
    """The archive cannot be read on: the run stops here, with this line in its report."""


@dataclasses.dataclass
class RawItem:
    position: int
    key: str = ""
    title: str = ""
    date: str = ""
    body_html: str = ""
    url: str = ""
    # The archive's own categories and tags, and a region named in a column of its own.
    terms: list[str] = dataclasses.field(default_factory=list)
    region: str = ""
    language: str = ""


@dataclasses.dataclass
class ItemError:
    position: int
    message: str
    key: str = ""
    title: str = ""


@dataclasses.dataclass
class ItemSkipped:
    """Not an article (a WordPress attachment, page or trashed post): reported, not read."""

    position: int
    message: str
    key: str = ""
    title: str = ""


Parsed = RawItem | ItemError | ItemSkipped


def _local(tag) -> tuple[str, str]:
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, name = tag[1:].split("}", 1)
        return namespace, name
    return "", tag


def _text(element) -> str:
    return (element.text or "").strip() if element is not None else ""


def read_xml(file: IO[bytes]) -> Iterator[Parsed]:
    """The items of a WXR export or an RSS/Atom feed, told apart by what they hold."""
    position = 0
    parent = None
    events = iterparse(
        file, events=("start", "end"), forbid_dtd=False, forbid_entities=True, forbid_external=True
    )
    try:
        for event, element in events:
            name = _local(element.tag)[1]
            if event == "start":
                if name in ("channel", "feed"):
                    parent = element
                continue
            if name not in ("item", "entry"):
                continue
            position += 1
            try:
                yield (_wxr_or_rss_item if name == "item" else _atom_entry)(element, position)
            except Exception as error:  # one odd item must not stop the others
                yield ItemError(position, _("Unreadable item: %(error)s") % {"error": error})
            element.clear()
            if parent is not None:
                parent.remove(element)
    except ParseError as error:
        line = getattr(error, "position", (None,))[0]
        if position == 0 and line in (None, 1):
            raise ArchiveError(
                _("The file is not XML (%(error)s): nothing was read.") % {"error": error}
            ) from None
        raise ArchiveError(
            _("The XML breaks at line %(line)s, after item %(position)s: %(error)s")
            % {"line": line, "position": position, "error": error}
        ) from None
    except DefusedXmlException as error:
        raise ArchiveError(
            _("The file declares entities, which are refused (%(error)s).") % {"error": error}
        ) from None
    if position == 0:
        raise ArchiveError(_("No item or entry found: is this a WordPress export or a feed?"))


def _wxr_or_rss_item(element, position: int) -> Parsed:
    item = RawItem(position)
    post_type = status = ""
    rss_date = wp_date = wp_gmt = post_id = ""
    for child in element:
        namespace, name = _local(child.tag)
        text = _text(child)
        if name == "title" and not namespace:
            item.title = text
        elif name == "link" and not namespace:
            item.url = text
        elif name == "guid":
            item.key = text
        elif name == "pubDate":
            rss_date = text
        elif (name == "encoded" and "content" in namespace) or (
            name == "description" and not item.body_html
        ):
            item.body_html = child.text or ""
        elif name == "category":
            if child.get("domain") in (None, "category", "post_tag"):
                item.terms.append(plain_text(child.text or ""))
        elif name == "post_type":
            post_type = text
        elif name == "status" and "wordpress" in namespace:
            status = text
        elif name == "post_date":
            wp_date = text
        elif name == "post_date_gmt":
            wp_gmt = text
        elif name == "post_id":
            post_id = text
        elif name == "language":
            item.language = text
    item.title = plain_text(item.title)
    item.key = item.key or (f"wp:{post_id}" if post_id else "") or item.url
    zero = ("", "0000-00-00 00:00:00")
    item.date = (
        wp_date if wp_date not in zero else (rss_date or (wp_gmt if wp_gmt not in zero else ""))
    )
    if post_type and post_type != "post":
        return ItemSkipped(
            position,
            _("Not an article (a WordPress %(type)s).") % {"type": post_type},
            item.key,
            item.title,
        )
    if status in ("trash", "auto-draft", "inherit"):
        return ItemSkipped(
            position,
            _("A WordPress post with the status “%(status)s”.") % {"status": status},
            item.key,
            item.title,
        )
    return item


def _atom_entry(element, position: int) -> Parsed:
    item = RawItem(position)
    published = updated = summary = ""
    for child in element:
        name = _local(child.tag)[1]
        if name == "title":
            item.title = plain_text(
                "".join(child.itertext()) if child.get("type") == "xhtml" else child.text or ""
            )
        elif name == "id":
            item.key = _text(child)
        elif name == "link" and child.get("rel", "alternate") == "alternate" and not item.url:
            item.url = (child.get("href") or "").strip()
        elif name == "published":
            published = _text(child)
        elif name == "updated":
            updated = _text(child)
        elif name == "content":
            item.body_html = _inner(child)
        elif name == "summary":
            summary = _inner(child)
        elif name == "category":
            item.terms.append(plain_text(child.get("label") or child.get("term") or ""))
    item.body_html = item.body_html or summary
    item.date = published or updated
    item.key = item.key or item.url
    return item


def _inner(element) -> str:
    if element.get("type") == "xhtml":
        from xml.etree.ElementTree import tostring

        return "".join(tostring(child, encoding="unicode") for child in element)
    return element.text or ""


# --- CSV ------------------------------------------------------------------------------------

FIELDS = ("key", "title", "date", "body", "url", "terms", "region", "language")
# Column names understood without a mapping, in either language.
ALIASES = {
    "key": ("id", "guid", "key"),
    "title": ("title", "headline", "заголовок", "назва"),
    "date": ("date", "published", "pubdate", "дата"),
    "body": ("body", "text", "content", "текст", "зміст"),
    "url": ("url", "link", "address", "посилання", "адреса"),
    "terms": ("tags", "categories", "category", "теги", "категорія", "категорії", "рубрика"),
    "region": ("region", "oblast", "регіон", "область"),
    "language": ("language", "lang", "мова"),
}


def csv_encoding(file: IO[bytes]) -> str:
    """UTF-8 (with or without its mark) if the whole file decodes as it, else Windows-1251,
    the other encoding a Ukrainian newsroom's spreadsheet is saved in."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    file.seek(0)
    try:
        while chunk := file.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        encoding = "cp1251"
    file.seek(0)
    return encoding


def csv_mapping(header: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Which column holds which field: the mapping given (field → column), then the columns
    whose names say it."""
    found = {field: column for field, column in mapping.items() if column}
    lowered = {column.strip().casefold(): column for column in header}
    for field, names in ALIASES.items():
        if field not in found:
            column = next((lowered[name] for name in names if name in lowered), None)
            if column is not None:
                found[field] = column
    return found


def read_csv(file: IO[bytes], *, mapping: dict[str, str], encoding: str) -> Iterator[Parsed]:
    """The rows of a CSV as items (`mapping`: field → column name)."""
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        # The delimiter is the one the header line uses most (a spreadsheet saved in a
        # Ukrainian locale writes ";"); csv.Sniffer guessed wrong on bodies full of quotes.
        first = text.readline()
        text.seek(0)
        delimiter = max(",;\t", key=first.count)
        reader = csv.reader(text, delimiter=delimiter)
        header = next(reader, None)
        if not header:
            raise ArchiveError(_("The CSV file is empty."))
        columns = csv_mapping(header, mapping)
        unknown = sorted(set(columns.values()) - set(header))
        if unknown:
            raise ArchiveError(
                _("The mapping names columns the file does not have: %(columns)s.")
                % {"columns": ", ".join(unknown)}
            )
        for field in ("title", "date"):
            if field not in columns:
                raise ArchiveError(
                    _("No column for the %(field)s: give the mapping (%(field)s=column).")
                    % {"field": field}
                )
        index = {field: header.index(column) for field, column in columns.items()}
        position = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                raise ArchiveError(
                    _("The CSV breaks at line %(line)s: %(error)s")
                    % {"line": reader.line_num, "error": error}
                ) from None
            if not any(cell.strip() for cell in row):
                continue
            position += 1
            if len(row) < len(header):
                row = row + [""] * (len(header) - len(row))
            values = {field: row[i].strip() for field, i in index.items()}
            terms = [t.strip() for t in values.get("terms", "").replace(";", ",").split(",")]
            yield RawItem(
                position,
                key=values.get("key", "") or values.get("url", ""),
                title=plain_text(values.get("title", "")),
                date=values.get("date", ""),
                body_html=values.get("body", ""),
                url=values.get("url", ""),
                terms=[t for t in terms if t],
                region=values.get("region", ""),
                language=values.get("language", ""),
            )
    finally:
        text.detach()


def read(
    file: IO[bytes], *, format: str, mapping: dict | None = None, encoding: str = "utf-8-sig"
) -> Iterator[Parsed]:
    if format == "csv":
        return read_csv(file, mapping=mapping or {}, encoding=encoding)
    return read_xml(file)


def file_sha256(file: IO[bytes], progress: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    while chunk := file.read(1 << 20):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()

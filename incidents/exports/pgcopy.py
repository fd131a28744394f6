"""The CSV exports written by PostgreSQL itself: `COPY (SELECT …) TO STDOUT (FORMAT csv)`.

Building each row in Python held the incident export to about 20,000 rows a second. On
PostgreSQL the export's own filtered queryset is annotated with its CSV cells, compiled by
Django to one SELECT, and the database writes the CSV; the rows are streamed to the client
as they come. The bytes are the Python path's, byte for byte
(tests/incidents/test_export_copy.py), because each rule of the Python path has its twin here:

- a cell that a spreadsheet would run as a formula is written as text (`escaped`, the SQL
  form of csvfile.cell_text);
- an empty text cell is written as nothing, as the csv module writes it (COPY writes `""`
  for an empty string and nothing for NULL, so empty text is made NULL);
- a boolean is true or false, dates and times are written as Python's isoformat() writes
  them (`iso_date`, `iso_datetime`), labels kept in Python dicts are passed as parameters
  (`Choice`);
- every line ends with CRLF, the csv module's default, where COPY ends a row with LF. libpq
  hands over one row at a time ("data is always returned one data row at a time",
  PQgetCopyData), so the last byte of each is its end of line, and a newline inside a
  quoted cell, which must stay as it was written, is never touched.
Quoting is the same in both: a cell is quoted when it holds a comma, a quote or a line
break, a quote doubled.

Elsewhere (SQLite: `make run`, `make test`) the exports keep their Python path.
"""

import re
from contextlib import nullcontext

from django.db import connections, transaction
from django.db.models import Expression, F, TextField, Value
from django.db.models.expressions import OrderBy

from . import csvfile

# Below this many rows an export aggregates its incidents' categories, perpetrators and cases
# only (found through an index); above it, every row of those tables at once (statement()).
# Measured on bench/pages.py's archive (bench/exports.py): finding 79,000 incidents a second
# time cost more than aggregating all 175,000 category links.
RESTRICT_BELOW = 20_000
# Rows are gathered into blocks of about this size before they are sent: a write per row
# would cost a system call each.
BLOCK_SIZE = 256 * 1024
CRLF = b"\r\n"


def available(queryset) -> bool:
    """True where the export can be written by COPY: PostgreSQL."""
    return connections[queryset.db].vendor == "postgresql"


class Sql(Expression):
    """A piece of SQL written out, with {name} standing for an expression or a parameter.

    A name may stand in several places (its SQL and parameters are repeated); table names
    come from the models. Never a literal percent sign: the statement goes through psycopg's
    parameter substitution (pass it as a parameter, or write chr(37)).
    """

    def __init__(self, template: str, output_field=None, **parts):
        super().__init__(output_field=output_field or TextField())
        self.template = template
        self.parts = {
            name: part if hasattr(part, "resolve_expression") else Value(part)
            for name, part in parts.items()
        }
        missing = set(re.findall(r"\{(\w+)\}", template)) - set(self.parts)
        if missing:
            raise ValueError(f"no value for {sorted(missing)} in {template!r}")

    def get_source_expressions(self):
        return list(self.parts.values())

    def set_source_expressions(self, exprs):
        self.parts = dict(zip(self.parts, exprs, strict=True))

    def as_sql(self, compiler, connection):
        compiled = {name: compiler.compile(part) for name, part in self.parts.items()}
        sql, params, position = [], [], 0
        for match in re.finditer(r"\{(\w+)\}", self.template):
            part_sql, part_params = compiled[match[1]]
            sql += [self.template[position : match.start()], part_sql]
            params += part_params
            position = match.end()
        sql.append(self.template[position:])
        return f"({''.join(sql)})", params


def _expression(value):
    return F(value) if isinstance(value, str) else value


def escaped(ref: str) -> str:
    """SQL for the text `ref` (an SQL reference: a column, or "{v}" in a template) as
    csvfile's writer holds it before quoting: csvfile.cell_text. A cell that starts like a
    formula gets a leading apostrophe (and, from defusedcsv, its | escaped), also after a
    leading tab or carriage return; a number such as -5 stays as it is. defusedcsv tells a
    number by re.match("^-?[0-9,\\.]+$"), whose "$" also matches before a final newline,
    hence "\\n?$" here. The first character is read by its code (ascii()): the cheapest
    test, and most cells need no other."""
    stripped = ", ".join(str(ord(c)) for c in csvfile.STRIPPED_BEFORE_A_FORMULA)
    starts = ", ".join(str(ord(c)) for c in csvfile.FORMULA_STARTS)
    return (
        f"CASE WHEN ascii({ref}) NOT IN ({stripped}, {starts}) THEN {ref}"
        f" WHEN ascii({ref}) IN ({stripped}) THEN '''' || {ref}"
        f" WHEN {ref} ~ '^-?[0-9,.]+\\n?$' THEN {ref}"
        f" ELSE '''' || replace({ref}, '|', '\\|') END"
    )


def SafeCell(value) -> Sql:  # noqa: N802 -- an expression, named like one
    """The text column or cheap expression `value` as its CSV cell (see `safe`)."""
    return Sql(safe("{v}"), v=_expression(value))


def Boolean(value) -> Sql:  # noqa: N802 -- an expression, named like one
    """true or false, as the exports write a boolean (NULL, a missing row's, is false)."""
    return Sql("CASE WHEN {v} THEN 'true' ELSE 'false' END", v=_expression(value))


def iso_date(value) -> Sql:
    """date.isoformat(); NULL stays NULL (written as nothing)."""
    return Sql("to_char({v}, 'YYYY-MM-DD')", v=_expression(value))


def iso_datetime(value, zone: str) -> Sql:
    """timezone.localtime(value, zone).isoformat(): microseconds only when there are some,
    the offset as +HH:MM, and its seconds only when it has some (Kyiv's before 1924)."""
    local, utc = "({v} AT TIME ZONE {zone})", "({v} AT TIME ZONE 'UTC')"
    return Sql(
        f"replace(to_char({local}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '')"
        f" || CASE WHEN {local} >= {utc} THEN '+' || to_char({local} - {utc}, 'HH24:MI')"
        f" ELSE '-' || to_char({utc} - {local}, 'HH24:MI') END"
        f" || CASE WHEN extract(second FROM {local}) = extract(second FROM {utc}) THEN ''"
        f" WHEN {local} >= {utc} THEN to_char({local} - {utc}, ':SS')"
        f" ELSE to_char({utc} - {local}, ':SS') END",
        v=_expression(value),
        zone=Value(zone),
    )


def choice(ref: str, labels: dict, default: str | None = None) -> "Piece":
    """What `labels` (a dict in Python: slugs, statuses) says for the value of `ref` (SQL):
    the labels are passed as parameters, escaped as the Python path escapes them; `default`
    for a value not in it (None: written as nothing)."""
    whens, params = [], []
    for key, label in labels.items():
        whens.append(" WHEN %s THEN %s")
        # A choices member as its plain value: psycopg would write an Enum by its name.
        params += [getattr(key, "value", key), csvfile.cell_text(str(label))]
    params.append(None if default is None else csvfile.cell_text(default))
    return Piece(f"NULLIF(CASE {ref}{''.join(whens)} ELSE %s END, '')", params)


def Choice(value, labels: dict, default: str | None = None) -> Sql:  # noqa: N802
    """`choice` as an expression of the row."""
    piece = choice("{v}", labels, default)
    parts = {"v": _expression(value)}
    template = piece.sql
    for n, param in enumerate(piece.params):
        template = template.replace("%s", f"{{p{n}}}", 1)
        parts[f"p{n}"] = Value(param)
    return Sql(template, **parts)


def ordering(queryset) -> list[OrderBy]:
    """The queryset's ORDER BY as expressions: its order_by() or its model's ordering."""
    query = queryset.query
    if query.extra_order_by:
        raise ValueError("COPY keeps no extra() ordering")
    items = query.order_by or (query.get_meta().ordering if query.default_ordering else ())
    orders = []
    for item in items:
        if isinstance(item, str):
            if item == "?":
                raise ValueError("a random order cannot be written twice alike")
            item = F(item[1:]).desc() if item.startswith("-") else F(item).asc()
        elif not isinstance(item, OrderBy):
            item = item.asc()
        orders.append(item)
    return orders


class Piece:
    """SQL text and its parameters, in the order they appear in it."""

    def __init__(self, sql: str, params=()):
        self.sql, self.params = sql, list(params)


def statement(
    queryset, *, cells: dict, columns: list, joins=(), then_by: str = "", count: int | None = None
):
    """The COPY statement writing `queryset` as CSV, and its parameters.

    The queryset, unordered, annotated with `cells` (expressions of an incident's own row),
    is the subquery q; `joins` (Pieces: LEFT JOINs on q."_pk") bring in what an incident
    has several of, aggregated for all the rows at once: a subquery per row cost more than
    the rest of the export. Where a join's incident column is followed by {in_ids}, an
    export of `count` rows under RESTRICT_BELOW aggregates only its own incidents (the
    filtered ids, found once in the CTE `ids`); a larger one aggregates every row of the
    table, which costs less than finding its incidents a second time. `columns` (Pieces or
    SQL) are the CSV's, in its order. The rows come in the queryset's order, then `then_by`.
    """
    restrict = count is not None and count < RESTRICT_BELOW
    orders = ordering(queryset)
    keys = {f"_o{n}": order.expression for n, order in enumerate(orders)}
    unordered = queryset.order_by()
    # Named apart from the model's fields (an annotation may not take a field's name).
    cells = {f"_{name}": cell for name, cell in cells.items()}
    rows = unordered.annotate(_pk=F("pk"), **keys, **cells).values("_pk", *keys, *cells)
    compiled = [
        query.query.get_compiler(using=queryset.db).as_sql()
        for query in (unordered.values("pk"), rows)
    ]
    order_by = [
        f'q."_o{n}" {"DESC" if order.descending else "ASC"}'
        + (" NULLS FIRST" if order.nulls_first else " NULLS LAST" if order.nulls_last else "")
        for n, order in enumerate(orders)
    ]
    pieces = [Piece("WITH ids (id) AS MATERIALIZED ("), Piece(*compiled[0]), Piece(") ")]
    pieces = [*(pieces if restrict else []), Piece("SELECT ")]
    for n, column in enumerate(columns):
        pieces += [Piece(", " if n else ""), column if isinstance(column, Piece) else Piece(column)]
    pieces += [Piece(" FROM ("), Piece(*compiled[1]), Piece(") q ")]
    for join in joins:
        join = join if isinstance(join, Piece) else Piece(join)
        ids = "IN (SELECT id FROM ids)" if restrict else "IS NOT NULL"
        pieces.append(Piece(join.sql.replace("{in_ids}", ids), join.params))
    pieces.append(Piece(" ORDER BY " + ", ".join(order_by + ([then_by] if then_by else []))))
    sql = "".join(piece.sql for piece in pieces)
    params = [param for piece in pieces for param in piece.params]
    return f"COPY ({sql}) TO STDOUT (FORMAT csv)", params


def url(prefix: str, slug, suffix: str) -> Sql:
    """An address made of a slug between two fixed parts (one reverse() per export)."""
    return Sql(
        "{prefix} || {slug} || {suffix}", prefix=prefix, slug=_expression(slug), suffix=suffix
    )


def with_tables(template: str, **models) -> str:
    """`template` (SQL) with each {name} replaced by the quoted table of the model given."""
    for name, model in models.items():
        template = template.replace(f"{{{name}}}", f'"{model._meta.db_table}"')
    return template


def column(name: str) -> str:
    """A cell computed in q, by its name in `cells`."""
    return f'q."_{name}"'


def safe(ref: str) -> str:
    """The text `ref` (SQL) as its CSV cell: `escaped`, empty text written as nothing. Each
    use of `ref` computes it again: for columns and cheap expressions."""
    return f"NULLIF({escaped(ref)}, '')"


def stream(using: str, sql: str, params: list, head: str = ""):
    """The CSV a COPY statement (`statement`) writes, in blocks of bytes: `head` (the lines
    the caller wrote), then COPY's rows, each ending in CRLF. The statement is logged with
    the other queries (DEBUG's list, CaptureQueriesContext)."""
    connection = connections[using]
    if not params:
        # psycopg substitutes parameters, and turns %% into %, only when there are some.
        sql = sql.replace("%%", "%")
    block, size = ([head.encode()] if head else []), 0
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # JIT compilation, which PostgreSQL chooses for a statement this size, added a third
        # to the time of a COPY whose work is sorting and formatting (bench/exports.py).
        cursor.execute("SET LOCAL jit = off")
        log = cursor.debug_sql(sql, params) if hasattr(cursor, "debug_sql") else nullcontext()
        with (
            log,
            connection.wrap_database_errors,
            cursor.cursor.copy(sql, params or None) as copy,
        ):
            for row in copy:
                block += (row[:-1], CRLF)
                size += len(row)
                if size >= BLOCK_SIZE:
                    yield b"".join(block)
                    block, size = [], 0
    if block:
        yield b"".join(block)

"""Every CSV the site writes, written one way (issue 27): the incidents' export, the SDG
16.10.1 export, the barometer's tables and the hotline's exports.

A cell that starts like a spreadsheet formula (= + - @ and the like) runs as one when the
file is opened in Excel or LibreOffice: a place name "=HYPERLINK(...)" becomes a link that
sends the reader's data away. defusedcsv (the library pretix uses) writes such a cell as
text, with a leading apostrophe; numbers stay numbers. A leading tab or carriage return,
which spreadsheets strip before reading a formula (OWASP's list), is written the same way.

On PostgreSQL the incident and SDG exports are written by the database (pgcopy.py); its SQL
form of this rule (`pgcopy.SafeCell`) is built from the constants below and checked against
`cell_text` (tests/incidents/test_export_copy.py).
"""

from defusedcsv import csv as defused

STRIPPED_BEFORE_A_FORMULA = ("\t", "\r")
# What defusedcsv's _escape writes as text (its list, written out there, not exported).
FORMULA_STARTS = ("@", "+", "-", "=", "|", "%")


def _cell(value):
    if isinstance(value, str) and value.startswith(STRIPPED_BEFORE_A_FORMULA):
        return "'" + value
    return value


def cell_text(value: str) -> str:
    """The text `value` as a cell of this writer holds it (before the csv module quotes it)."""
    return defused._escape(_cell(value))


class _Rows:
    def __init__(self, writer):
        self._writer = writer

    def writerow(self, row):
        return self._writer.writerow([_cell(value) for value in row])


def writer(file) -> _Rows:
    """csv.writer's writerow for `file`, every cell made safe to open in a spreadsheet."""
    return _Rows(defused.writer(file))


class _Line:
    def write(self, value):
        return value


def line_writer():
    """A function that turns one row into its CSV line (for streamed responses)."""
    return writer(_Line()).writerow

"""Spreadsheet-safe CSV: formula-like cells neutralised, everything else untouched. Pure: no app."""

from __future__ import annotations

import csv
import io

import pytest

from leads.rules.csvsafe import safe_cell, safe_row, write_csv


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        (-5, "'-5"),  # numbers are not special: OWASP's trade-off
    ],
)
def test_formula_like_cells_are_neutralised(value, cell):
    assert safe_cell(value) == cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("Smith", "Smith"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (3.5, "3.5"),
        ("a=b", "a=b"),
        ("O'Brien", "O'Brien"),
        ("'already quoted", "'already quoted"),
        ("jo@example.com", "jo@example.com"),
    ],
)
def test_harmless_values_are_untouched(value, cell):
    assert safe_cell(value) == cell


def test_a_row_is_made_safe_cell_by_cell():
    assert safe_row(["Smith", None, "=1+1", 7]) == ["Smith", "", "'=1+1", "7"]


def test_round_trip_through_a_csv_reader_shows_the_neutralised_cells():
    rows = [
        ["Ada", "=1+1", "+44 20 7946 0000"],
        ["Bo, Jr.", '@x "quoted"', "line one\nline two"],
        [None, "-3", "\tpadded"],
    ]
    text = "".join(write_csv(rows, ["Name", "=Note", "Phone"]))
    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["Name", "'=Note", "Phone"],
        ["Ada", "'=1+1", "'+44 20 7946 0000"],
        ["Bo, Jr.", '\'@x "quoted"', "line one\nline two"],
        ["", "'-3", "'\tpadded"],
    ]


def test_one_string_per_row():
    assert list(write_csv([["a", 1], ["b", 2]], ["letter", "number"])) == ["letter,number\r\n", "a,1\r\n", "b,2\r\n"]


def test_rows_are_read_only_as_lines_are_asked_for():
    def rows():
        yield ["first"]
        raise AssertionError("read past the line that was asked for")

    lines = write_csv(rows(), ["h"])
    assert next(lines) == "h\r\n"
    assert next(lines) == "first\r\n"

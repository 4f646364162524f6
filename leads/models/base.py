"""Shared column helpers and the fixed vocabularies of the tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, String, Text
from sqlmodel import Field

from leads.db import UTCDateTime
from leads.rules.vocabulary import INSTALL_STATES, NURTURE_STATUSES, ROLES

__all__ = ["INSTALL_STATES", "KEY_TYPE", "LIST_FILTERS", "NURTURE_STATUSES", "ROLES", "text_column", "utc_column"]

# Byte-order text for search keys: prefix ranges then match exactly what a byte-wise prefix would.
LIST_FILTERS = ("country", "offer", "action_code", "nurture_status", "owner_id")
KEY_TYPE = String(300).with_variant(String(300, collation="C"), "postgresql")


def utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    """A fresh aware-UTC column (SQLAlchemy columns cannot be shared between tables)."""
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def text_column(*, nullable: bool = True) -> Any:
    """An unbounded text column (JSON blobs, free text)."""
    return Field(default=None, sa_column=Column(Text(), nullable=nullable))

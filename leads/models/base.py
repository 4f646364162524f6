"""Shared column helpers and the fixed vocabularies of the tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, String, Text
from sqlmodel import Field

from leads.db import UTCDateTime

ROLES = ("admin", "sales", "support")
# Byte-order text for search keys: prefix ranges then match exactly what a byte-wise prefix would.
LIST_FILTERS = ("country", "offer", "action_code", "nurture_status", "owner_id")
KEY_TYPE = String(300).with_variant(String(300, collation="C"), "postgresql")
NURTURE_STATUSES = ("new", "contacted", "qualified", "customer", "lost")
INSTALL_STATES = ("installing", "installed", "failed", "uninstalling", "uninstalled", "uninstall_failed")


def utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    """A fresh aware-UTC column (SQLAlchemy columns cannot be shared between tables)."""
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def text_column(*, nullable: bool = True) -> Any:
    """An unbounded text column (JSON blobs, free text)."""
    return Field(default=None, sa_column=Column(Text(), nullable=nullable))

"""Leases: one holder at a time; renewal; expiry frees a crashed holder's lease."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leads.retention import leases

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
TTL = timedelta(minutes=10)


def test_one_holder_at_a_time_until_release(session):
    assert leases.acquire(session=session, name="job", holder="a", now=NOW, ttl=TTL)
    assert not leases.acquire(session=session, name="job", holder="b", now=NOW, ttl=TTL)
    assert leases.acquire(session=session, name="job", holder="a", now=NOW + timedelta(minutes=5), ttl=TTL)  # renew
    leases.release(session=session, name="job", holder="b")  # not b's to release
    assert not leases.acquire(session=session, name="job", holder="b", now=NOW, ttl=TTL)
    leases.release(session=session, name="job", holder="a")
    assert leases.acquire(session=session, name="job", holder="b", now=NOW, ttl=TTL)


def test_an_expired_lease_is_free_for_another_worker(session):
    assert leases.acquire(session=session, name="job", holder="crashed", now=NOW, ttl=TTL)
    assert not leases.acquire(session=session, name="job", holder="b", now=NOW + TTL - timedelta(seconds=1), ttl=TTL)
    assert leases.acquire(session=session, name="job", holder="b", now=NOW + TTL, ttl=TTL)


def test_leases_are_independent_by_name(session):
    assert leases.acquire(session=session, name="one", holder="a", now=NOW, ttl=TTL)
    assert leases.acquire(session=session, name="two", holder="b", now=NOW, ttl=TTL)

"""A completed access or portability request made on the privacy page is delivered by an emailed link: the bundle
waits in the export cache behind a hashed token, each download needs a fresh emailed code and is audited, and
the file is destroyed at the download limit, at expiry (opened or swept) and on erasure: the cache is scanned."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from leads.models import AuditEvent, ExportDelivery, Lead, RequestStep
from leads.retention import exportcache, sweeper
from leads.rights import actions, delivery, privacy_page, register
from leads.rules import delivery as links
from tests.factories import PINNED_NOW
from tests.marketing_samples import make_lead

SECRET = "test-secret"


@pytest.fixture
def cache(app):
    """The app's export cache directory (the test's own)."""
    return Path(app.config["EXPORT_CACHE"])


def _asked(session, make_user, *, kind="access", email="ada@x.example", source="privacy_page", n=1, lead=None):
    """A request as the page makes it (or staff type it), its lead (lead `n`, or `lead`) confirmed by staff; and
    the member of staff."""
    lead = lead or make_lead(session, n, email=email)
    staff = make_user("support", f"support{n}-{kind}@radnac.example")
    if source == "privacy_page":
        made = privacy_page.make_request(session=session, email=email, kind=kind, details="", now=PINNED_NOW)
    else:
        made = register.create(session=session, kind=kind, requester_name="Ada", requester_email=email,
                               channel="email", received_on=PINNED_NOW.date(), details="", actor=staff,
                               now=PINNED_NOW)  # fmt: skip
        register.verify_identity(session=session, request=made, actor=staff, now=PINNED_NOW)
    register.confirm_lead(session=session, request=made, lead=lead, actor=staff, now=PINNED_NOW)
    return made, staff


def _complete(session, made, staff, cache):
    return delivery.complete(session=session, request=made, outcome="Sent the export", actor=staff, now=PINNED_NOW,
                             cache=cache, secret=SECRET)  # fmt: skip


def _code(session, email="ada@x.example", now=PINNED_NOW):
    return privacy_page.issue_code(session=session, email=email, secret=SECRET, now=now)


def _download(session, token, code, cache, now=PINNED_NOW):
    return delivery.download(session=session, token=token, code=code, secret=SECRET, cache=cache, now=now)


def test_completing_a_page_request_prepares_the_bundle_behind_a_hashed_token(session, make_user, cache):
    made, staff = _asked(session, make_user)
    done = _complete(session, made, staff, cache)
    assert made.status == "completed" and done.token and done.expires_at == PINNED_NOW + timedelta(days=7)
    (row,) = session.exec(select(ExportDelivery)).all()
    assert row.token_hash == exportcache.token_hash(done.token, secret=SECRET) and done.token not in row.token_hash
    (file,) = cache.glob("*.zip")
    assert file.name == row.file_name and "ada" not in file.name and file.stat().st_mode & 0o077 == 0
    assert "letter.html" in zipfile.ZipFile(file).namelist()
    steps = [s.step for s in session.exec(select(RequestStep).where(RequestStep.request_id == made.id))]
    assert steps[-1] == "completed"  # "delivery.sent" only once the email has gone (`delivery.emailed`)
    delivery.emailed(session=session, request=made, token=done.token, sent=True, actor=staff, now=PINNED_NOW,
                     cache=cache, secret=SECRET)  # fmt: skip
    steps = [s.step for s in session.exec(select(RequestStep).where(RequestStep.request_id == made.id))]
    assert steps[-2:] == ["completed", "delivery.sent"] and len(list(cache.iterdir())) == 1


def test_each_download_needs_a_fresh_code_is_audited_and_the_last_destroys_the_file(session, make_user, cache):
    made, staff = _asked(session, make_user, kind="portability")
    token = _complete(session, made, staff, cache).token
    code = _code(session)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(delivery.DeliveryError, match="wrong or has expired"):
        _download(session, token, wrong, cache)
    got = _download(session, token, code, cache)
    assert got.kind == "portability" and got.left == links.MAX_DOWNLOADS - 1
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(got.data)).namelist()
    with pytest.raises(delivery.DeliveryError, match="wrong or has expired"):
        _download(session, token, code, cache)  # a code works once
    for _ in range(links.MAX_DOWNLOADS - 1):
        got = _download(session, token, _code(session), cache)
    assert got.left == 0
    assert list(cache.iterdir()) == [] and session.exec(select(ExportDelivery)).all() == []  # the cache is empty
    with pytest.raises(delivery.LinkGone):
        _download(session, token, _code(session), cache)
    actions_ = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.record_id == str(made.id)))]
    assert actions_.count("rights.delivery.downloaded") == links.MAX_DOWNLOADS
    assert actions_[-1] == "retention.export_destroyed"


def test_a_code_for_another_address_does_not_open_the_download(session, make_user, cache):
    made, staff = _asked(session, make_user)
    token = _complete(session, made, staff, cache).token
    with pytest.raises(delivery.DeliveryError, match="wrong"):
        _download(session, token, _code(session, "eve@x.example"), cache)


def test_an_expired_link_is_destroyed_when_opened_and_by_the_sweep(session, make_user, cache):
    made, staff = _asked(session, make_user)
    token = _complete(session, made, staff, cache).token
    late = PINNED_NOW + links.LINK_LIFETIME
    code = _code(session, now=late - timedelta(minutes=1))
    assert delivery.opens(session=session, token=token, secret=SECRET, cache=cache, now=late - timedelta(seconds=1))
    with pytest.raises(delivery.LinkGone):
        _download(session, token, code, cache, now=late)
    assert list(cache.iterdir()) == [] and session.exec(select(ExportDelivery)).all() == []

    again, _ = _asked(session, make_user, email="bob@x.example", n=2)
    _complete(session, again, staff, cache)
    assert exportcache.sweep(session=session, cache=cache, now=late - timedelta(seconds=1)) == 0
    assert len(list(cache.iterdir())) == 1
    assert exportcache.sweep(session=session, cache=cache, now=late) == 1
    assert list(cache.iterdir()) == [] and session.exec(select(ExportDelivery)).all() == []


def test_erasing_the_person_destroys_the_download_prepared_for_them(session, make_user, cache):
    made, staff = _asked(session, make_user)
    _complete(session, made, staff, cache)
    lead = session.exec(select(Lead)).one()
    erasure, _ = _asked(session, make_user, kind="erasure", email="ADA@x.example", source="staff", lead=lead)
    report = actions.erase(session=session, request=erasure, actor=staff, now=PINNED_NOW, tombstone_key=SECRET,
                           source=None, export_cache=cache)  # fmt: skip
    assert report.destroyed["exportdelivery"] == 1
    assert list(cache.iterdir()) == [] and session.exec(select(ExportDelivery)).all() == []


def test_a_request_staff_typed_in_completes_without_a_link(session, make_user, cache):
    made, staff = _asked(session, make_user, source="staff")
    done = _complete(session, made, staff, cache)
    assert made.status == "completed" and done.token is None and not cache.exists()


def test_the_retention_sweep_destroys_an_expired_link_and_its_file(session, make_user, cache):
    made, staff = _asked(session, make_user)
    _complete(session, made, staff, cache)
    report = sweeper.sweep(session=session, now=PINNED_NOW + links.LINK_LIFETIME, source=None, tombstone_key=SECRET,
                           holder="test", export_cache=cache)  # fmt: skip
    assert report.destroyed["exportdelivery"] == 1
    assert list(cache.iterdir()) == [] and session.exec(select(ExportDelivery)).all() == []


def test_a_page_request_covering_nobody_completes_without_a_link_and_says_why(session, make_user, cache):
    made = privacy_page.make_request(session=session, email="eve@x.example", kind="access", details="", now=PINNED_NOW)
    done = _complete(session, made, make_user("support"), cache)
    assert made.status == "completed" and done.token is None and "Confirm which leads" in done.not_prepared
    assert not cache.exists() and session.exec(select(ExportDelivery)).all() == []


def test_a_file_no_row_names_is_kept_an_hour_by_the_apps_clock_then_swept(session, cache):
    """A crash between writing a bundle and committing its row leaves a file no row names. The sweep waits an
    hour, by the app's clock (the moment is in the file's name), not the file system's: a run with the clock
    moved must neither keep it for ever nor take a file whose row is being committed now."""
    cache.mkdir(parents=True, exist_ok=True)
    stray = cache / exportcache.file_name(PINNED_NOW)
    stray.write_bytes(b"left by a crash")
    within = PINNED_NOW + timedelta(seconds=exportcache.STRAY_AFTER_SECONDS)
    assert exportcache.sweep(session=session, cache=cache, now=within) == 0
    assert stray.exists()
    assert exportcache.sweep(session=session, cache=cache, now=within + timedelta(seconds=1)) == 1
    assert not stray.exists()


def test_a_file_whose_name_carries_no_moment_is_swept_as_a_stray(session, cache):
    """A file the cache did not name (no moment in it, and no row names it) is no one's download: swept."""
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "0123abcd.zip").write_bytes(b"?")
    assert exportcache.sweep(session=session, cache=cache, now=PINNED_NOW) == 1
    assert list(cache.iterdir()) == []

"""The second factor's rules (leads/staff/totp.py): enrolment, codes, reuse, drift, recovery codes, the policy."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pyotp
import pytest
from sqlmodel import select

from leads.models import AuditEvent, RecoveryCode
from leads.staff import totp
from tests.factories import PINNED_NOW


def code_at(secret: str, when) -> str:
    return pyotp.TOTP(secret).at(when)


@pytest.fixture
def enrolled(session, make_user):
    """(user, secret, recovery codes) of a user enrolled at PINNED_NOW - 10 minutes."""
    user = make_user("sales")
    start = PINNED_NOW - timedelta(minutes=10)
    row = totp.start_enrolment(session=session, user=user, now=start)
    codes = totp.confirm_enrolment(session=session, user=user, code=code_at(row.secret, start), now=start)
    return user, row.secret, codes


def test_enrolment_needs_a_right_code_before_it_is_on(session, make_user):
    user = make_user("sales")
    row = totp.start_enrolment(session=session, user=user, now=PINNED_NOW)
    assert totp.start_enrolment(session=session, user=user, now=PINNED_NOW).secret == row.secret  # same QR on reload
    assert not totp.is_enrolled(session=session, user=user)
    wrong = "000000" if code_at(row.secret, PINNED_NOW) != "000000" else "111111"
    assert totp.confirm_enrolment(session=session, user=user, code=wrong, now=PINNED_NOW) is None
    assert not totp.is_enrolled(session=session, user=user)
    codes = totp.confirm_enrolment(session=session, user=user, code=code_at(row.secret, PINNED_NOW), now=PINNED_NOW)
    assert totp.is_enrolled(session=session, user=user)
    assert len(codes) == totp.RECOVERY_CODES == len(set(codes))
    with pytest.raises(ValueError, match="already"):
        totp.start_enrolment(session=session, user=user, now=PINNED_NOW)
    assert "totp.enrol" in [event.action for event in session.exec(select(AuditEvent))]


def test_the_qr_code_carries_the_secret_for_this_account():
    uri = totp.provisioning_uri(secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", email="ann@radnac.example")
    assert (
        uri
        == "otpauth://totp/RADNAC%20Leads:ann%40radnac.example?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=RADNAC%20Leads"
    )


def test_recovery_codes_are_stored_only_as_hashes(session, enrolled):
    user, _secret, codes = enrolled
    stored = {row.code_hash for row in session.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id))}
    assert stored == {hashlib.sha256(code.replace("-", "").encode()).hexdigest() for code in codes}
    assert not any(code in value for code in codes for value in stored)


def test_a_right_code_is_accepted_once_and_a_wrong_one_never(session, enrolled):
    user, secret, _codes = enrolled
    code = code_at(secret, PINNED_NOW)
    assert not totp.verify(session=session, user=user, code="12345", now=PINNED_NOW)
    assert not totp.verify(session=session, user=user, code="abcdef", now=PINNED_NOW)
    assert totp.verify(session=session, user=user, code=f" {code[:3]} {code[3:]} ", now=PINNED_NOW)
    # The same code again, still inside its own 30 s and inside the drift window: refused.
    assert not totp.verify(session=session, user=user, code=code, now=PINNED_NOW + timedelta(seconds=5))
    assert not totp.verify(session=session, user=user, code=code, now=PINNED_NOW + timedelta(seconds=35))


def test_a_code_one_step_either_side_is_accepted_but_not_older_than_the_last_used(session, enrolled):
    user, secret, _codes = enrolled
    assert totp.verify(
        session=session, user=user, code=code_at(secret, PINNED_NOW + timedelta(seconds=30)), now=PINNED_NOW
    )
    # The current step's code, now older than the one just used, is refused.
    assert not totp.verify(session=session, user=user, code=code_at(secret, PINNED_NOW), now=PINNED_NOW)
    far = PINNED_NOW + timedelta(minutes=5)
    assert not totp.verify(session=session, user=user, code=code_at(secret, far - timedelta(seconds=90)), now=far)
    assert totp.verify(session=session, user=user, code=code_at(secret, far - timedelta(seconds=30)), now=far)


def test_each_recovery_code_works_once(session, enrolled):
    user, _secret, codes = enrolled
    assert totp.verify(session=session, user=user, code=codes[0].upper(), now=PINNED_NOW)
    assert not totp.verify(session=session, user=user, code=codes[0], now=PINNED_NOW)
    assert totp.verify(session=session, user=user, code=codes[1].replace("-", ""), now=PINNED_NOW)
    assert totp.remaining_recovery_codes(session=session, user=user) == totp.RECOVERY_CODES - 2
    assert not totp.verify(session=session, user=user, code="aaaaa-bbbbb", now=PINNED_NOW)


def test_someone_not_enrolled_has_no_code_that_works(session, make_user):
    user = make_user("sales")
    row = totp.start_enrolment(session=session, user=user, now=PINNED_NOW)
    assert not totp.verify(session=session, user=user, code=code_at(row.secret, PINNED_NOW), now=PINNED_NOW)


def test_admins_require_a_second_factor_for_everyone(session, make_user):
    admin = make_user("admin")
    assert not totp.is_required(session=session)
    totp.set_required(session=session, required=True, now=PINNED_NOW, actor=admin)
    assert totp.is_required(session=session)
    totp.set_required(session=session, required=False, now=PINNED_NOW, actor=admin)
    assert not totp.is_required(session=session)
    actions = [event.action for event in session.exec(select(AuditEvent).where(AuditEvent.actor == admin.email))]
    assert actions == ["policy.totp_required", "policy.totp_required"]


def test_two_log_ins_racing_with_the_same_code_cannot_both_win(app, session, enrolled):
    from sqlmodel import Session

    user, secret, _codes = enrolled
    code = code_at(secret, PINNED_NOW)
    with Session(app.extensions["radnac.engine"]) as other:
        other_user = other.get(type(user), user.id)
        stale = totp.secret_of(session=other, user=other_user)  # read before the first log-in wins
        seen = stale.last_step
        assert totp.verify(session=session, user=user, code=code, now=PINNED_NOW)
        assert totp.secret_of(session=other, user=other_user).last_step == seen  # the other still sees the old step
        assert not totp.verify(session=other, user=other_user, code=code, now=PINNED_NOW)

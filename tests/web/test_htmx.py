"""In-place saves say how they went: a confirmation event on success, plain words on failure (issue #19, 2)."""

from __future__ import annotations

import json

from leads.models import Lead

HX = {"HX-Request": "true"}


def _lead(session) -> Lead:
    """The first demo lead (the test asks for `demo_data`)."""
    return session.get(Lead, 1)


def test_a_saved_status_is_confirmed_with_an_event_app_js_shows(client, auth, session, demo_data):
    lead = _lead(session)
    auth.login("sales")
    response = client.post(f"/leads/{lead.id}/status", data={"status": "qualified"}, headers=HX)
    assert response.status_code == 200
    assert json.loads(response.headers["HX-Trigger"]) == {
        "leads:said": {"message": "Status changed to qualified.", "ok": True}
    }
    assert b"flash" not in response.data  # not flashed: that would surface on some later page


def test_a_refused_status_is_said_in_the_card_and_not_confirmed(client, auth, session, demo_data):
    lead = _lead(session)
    auth.login("sales")
    response = client.post(f"/leads/{lead.id}/status", data={"status": "bogus"}, headers=HX)
    assert 'role="alert">Unknown status' in response.get_data(as_text=True) and "HX-Trigger" not in response.headers
    session.refresh(lead)
    assert lead.nurture_status != "bogus"


def test_without_htmx_the_confirmation_is_a_flash_on_the_page_the_redirect_lands_on(client, auth, session, demo_data):
    lead = _lead(session)
    auth.login("sales")
    page = client.post(f"/leads/{lead.id}/status", data={"status": "contacted"}, follow_redirects=True)
    assert "Status changed to contacted." in page.data.decode()


def test_an_ended_session_says_so_in_plain_words_and_saves_nothing(app, session, demo_data):
    lead = _lead(session)
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()  # no session: as after logging out in another tab
    response = client.post(f"/leads/{lead.id}/notes", data={"kind": "note", "body": "typed"}, headers=HX)
    assert response.status_code == 401 and response.mimetype == "text/plain"
    assert "session has ended" in response.get_data(as_text=True)
    page = client.post(f"/leads/{lead.id}/notes", data={"kind": "note", "body": "typed"})
    assert page.status_code == 401 and "Your session has ended" in page.get_data(as_text=True)


def test_a_missing_record_fails_in_plain_words_for_htmx(client, auth):
    auth.login("sales")
    response = client.post("/leads/999999/status", data={"status": "new"}, headers=HX)
    assert response.status_code == 404 and "no longer exists" in response.get_data(as_text=True)

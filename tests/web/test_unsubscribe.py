"""The public unsubscribe route: CSRF-exempt (mail providers post without a session) but token-verified, and
refused tokens are throttled per address."""

from __future__ import annotations

from datetime import timedelta

from leads import create_app

FORGED = "/unsubscribe/eyJ4Ijo.AAAAAAAAAAAAAAAAAAAAAA"


def test_forged_tokens_are_refused_then_throttled_with_csrf_on(database_url, clock):
    app = create_app({"APP_ENV": "testing", "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
                      "CLOCK": clock, "SESSION_IDLE_TIMEOUT": timedelta(days=1)})  # fmt: skip
    visitor = app.test_client()
    answers = [visitor.post(FORGED, data={"List-Unsubscribe": "One-Click"}).status_code for _ in range(25)]
    assert answers[:20] == [404] * 20  # refused, not a CSRF 400: the token is what is checked
    assert set(answers[20:]) == {429}
    assert visitor.get(FORGED).status_code == 404  # a GET is only ever a page
    app.extensions["radnac.engine"].dispose()

"""The role matrix, cell by cell: every endpoint, every role, enforced on the server."""

from __future__ import annotations

import pytest
from flask import url_for

from leads.models import ROLES
from leads.web.permissions import PERMISSIONS
from tests.factories import PUBLIC_ENDPOINTS as PUBLIC

LOGIN_ONLY = {"auth.logout", "auth.password", "totp.enrol"}  # end their own session, change their password, 2FA


def endpoints(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        values = {arg: 1 for arg in rule.arguments}
        if "kind" in rule.arguments:
            values["kind"] = "access"
        if "record_type" in rule.arguments:
            values["record_type"] = "lead"
        if "step" in rule.arguments:
            values["step"] = "verify-identity"
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def test_every_protected_endpoint_declares_its_permission(app):
    for endpoint, _method, _url in endpoints(app):
        if endpoint in LOGIN_ONLY:
            continue
        permission = getattr(app.view_functions[endpoint], "permission", None)
        assert permission in PERMISSIONS, f"{endpoint} has no @requires(...)"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_what_the_matrix_gives_it(app, client, auth, role):
    auth.login(role)
    checked = 0
    for endpoint, method, url in endpoints(app):
        if endpoint in LOGIN_ONLY:
            continue
        allowed = role in PERMISSIONS[app.view_functions[endpoint].permission]
        status = client.open(url, method=method).status_code
        assert (status == 403) != allowed, f"{role} {method} {url}: {status}, allowed={allowed}"
        checked += 1
    assert checked > 40


def test_a_salesperson_cannot_reach_support_objects_by_id(client, auth, session, make_user):
    from datetime import date

    from tests.factories import new_request

    support = make_user("support")
    request = new_request(session, support, received=date(2026, 11, 24), email="a@x.example")
    auth.login("sales")
    assert client.get(f"/rights/{request.id}").status_code == 403
    assert client.post(f"/rights/{request.id}/bundle/access").status_code == 403
    assert client.post(f"/admin/users/{support.id}", data={"role": "admin", "active": "y"}).status_code == 403
    session.refresh(support)
    assert support.role == "support"

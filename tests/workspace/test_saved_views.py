"""Saved views: a member of staff's named filters and sort, per list (issue #19, 8)."""

from __future__ import annotations

import pytest

from leads.workspace import saved_views
from tests.factories import PINNED_NOW


def test_a_view_keeps_filters_and_sort_but_not_where_the_page_was(session, make_user):
    me = make_user("sales")
    args = {"status": "new", "sort": "name", "after": "x~1", "start": "21", "q": "", "country": "France"}
    saved = saved_views.save(session=session, user=me, page="leads", name="  French  new ", args=args, now=PINNED_NOW)
    assert (saved.name, saved.query) == ("French new", "country=France&sort=name&status=new")
    again = saved_views.save(
        session=session, user=me, page="leads", name="French new", args={"status": "lost"}, now=PINNED_NOW
    )
    assert again.id == saved.id and again.query == "status=lost"  # same name: overwritten, not doubled
    assert [v.name for v in saved_views.for_user(session=session, user=me, page="leads")] == ["French new"]
    assert saved_views.for_user(session=session, user=me, page="installations") == []


def test_a_view_never_keeps_the_search_text_which_may_name_someone(session, make_user):
    args = {"q": "jane.doe@contoso.example", "country": "France"}
    saved = saved_views.save(
        session=session, user=make_user("sales"), page="leads", name="x", args=args, now=PINNED_NOW
    )
    assert saved.query == "country=France"


def test_views_are_per_member_of_staff(session, make_user):
    me, colleague = make_user("sales"), make_user("sales")
    mine = saved_views.save(
        session=session, user=me, page="installations", name="Stuck", args={"state": "needs_help"}, now=PINNED_NOW
    )
    assert saved_views.for_user(session=session, user=colleague, page="installations") == []
    with pytest.raises(saved_views.ViewError):
        saved_views.remove(session=session, user=colleague, view_id=mine.id)
    saved_views.remove(session=session, user=me, view_id=mine.id)
    assert saved_views.for_user(session=session, user=me, page="installations") == []


def test_a_view_needs_a_name_and_a_known_list(session, make_user):
    me = make_user("sales")
    for page, name in (("leads", "  "), ("nowhere", "x")):
        with pytest.raises(saved_views.ViewError):
            saved_views.save(session=session, user=me, page=page, name=name, args={}, now=PINNED_NOW)


def test_saving_a_view_from_the_page_and_opening_it(client, auth, session):
    auth.login("support")
    answer = client.post(
        "/views", data={"page": "installations", "name": "Stuck", "query": "state=needs_help&start=21"}
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/installations?state=needs_help"
    page = client.get("/installations").get_data(as_text=True)
    assert 'href="/installations?state=needs_help">Stuck</a>' in page
    refused = client.post("/views", data={"page": "leads", "name": ""}, follow_redirects=True).get_data(as_text=True)
    assert "Give the view a name." in refused


@pytest.mark.parametrize(
    "query", ["_method=POST", "_external=1&owner=3", "_anchor=x", "_scheme=javascript", "endpoint=x", "values=1"]
)
def test_a_refused_view_goes_back_to_the_list_whatever_its_query_holds(client, auth, query):
    """Issue #32, finding 8: the refusal's redirect passed the posted query into url_for, whose own keywords
    (`_method`, `_external`, ...) made a 500 or a URL built from the Host header."""
    auth.login("sales")
    response = client.post("/views", data={"page": "leads", "name": "", "query": query})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/leads") and "//" not in location

"""Every text field says the most the server keeps (issue #31): each text input and textarea of every page
carries a `maxlength` equal to the limit of the form field, column or query that takes it.

The limits are read from the forms' Length validators and the models' columns, not copied: a limit changed on
the server fails here until the page says the same. static/app.js lets a longer paste in whole, so the server
refuses it with the reason rather than the browser cutting it (tests/web/test_browser_grants.py).
"""

from __future__ import annotations

from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import urlsplit

from wtforms.fields.core import UnboundField
from wtforms.validators import Length

from leads.models import AuditEvent, SavedView
from leads.rights import register
from leads.rules.vocabulary import MAX_EVIDENCE
from leads.web import forms, marketing_forms, sign_in_forms
from tests.web.walk import clients, populate, urls

TEXT_TYPES = {"text", "search", "email", "password", "url", "tel"}


def length(form: type, name: str) -> int:
    """The Length maximum of `form`'s field `name`."""
    return next(v.max for v in getattr(form, name).kwargs["validators"] if isinstance(v, Length))


SEARCH = 200  # leadlist, installlist and the installation page's lead search read the first 200 characters
# Fields whose limit is not their name's one limit in the forms: (endpoint, name, step or None) -> limit.
HAND = {
    ("pages.leads_list", "q", None): SEARCH,
    ("pages.installations_list", "q", None): SEARCH,
    ("pages.installation_detail", "lead_q", None): SEARCH,
    ("access.audit_trail", "record_id", None): AuditEvent.__table__.c.record_id.type.length,
    ("access.audit_trail", "since", None): forms.UKDateField.MAX_LENGTH,
    ("access.audit_trail", "until", None): forms.UKDateField.MAX_LENGTH,
    ("views.save_view", "name", None): SavedView.__table__.c.name.type.length,
    ("rights.take_step", "text", "ask-clarification"): register.MAX_QUESTION,
    ("rights.link_lead", "evidence", None): length(forms.LinkOverrideForm, "evidence"),
    ("rights.new", "details", None): length(forms.RightsRequestForm, "details"),
    ("mailings.create", "body", None): length(marketing_forms.MailingForm, "body"),
    ("nurture.add_note", "body", None): length(forms.NoteForm, "body"),
    ("grants.grant_data", "description", None): length(forms.GrantDataForm, "description"),
    ("marketing.lists_index", "description", None): length(marketing_forms.ListForm, "description"),
    ("marketing.record_consent", "evidence", None): MAX_EVIDENCE,
    ("people.record_consent", "evidence", None): MAX_EVIDENCE,
    ("marketing.correct_consent", "evidence", None): MAX_EVIDENCE,
    ("people.correct_consent", "evidence", None): MAX_EVIDENCE,
}


def form_limits() -> dict[str, set[int]]:
    """Every form field's name, with the Length maxima the forms give it."""
    found: dict[str, set[int]] = defaultdict(set)
    for module in (forms, marketing_forms, sign_in_forms):
        for form in vars(module).values():
            if not (isinstance(form, type) and issubclass(form, forms.KeptForm)):
                continue
            for name in dir(form):
                field = getattr(form, name)
                if isinstance(field, UnboundField):
                    validators = field.kwargs.get("validators") or (field.args[1] if len(field.args) > 1 else [])
                    found[name] |= {v.max for v in validators if isinstance(v, Length) and v.max > 0}
                    if hasattr(field.field_class, "MAX_LENGTH"):  # a date box: the longest date it reads
                        found[name].add(field.field_class.MAX_LENGTH)
    return found


class _TextFields(HTMLParser):
    """Each text input and textarea: (the action of its form, its name, its maxlength or None)."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page, self.action, self.fields = page, page, []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "form":
            self.action = found.get("action") or self.page
        kind = (found.get("type") or "text").lower()
        if ((tag == "input" and kind in TEXT_TYPES) or tag == "textarea") and found.get("name"):
            self.fields.append((self.action, found["name"], found.get("maxlength")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.action = self.page


def _pages(app, session, make_user):
    """(url, html) of every GET page as admin, and the pages a signed-out person sees."""
    ids, staff = populate(session, make_user)
    app.config["PRIVACY_PAGE"] = True
    browsers = clients(app, {"admin": staff["admin"], "sales": staff["sales"]})
    for endpoint, _method, url in urls(app, ids, {"GET"}):
        for role in ("admin", "sales", "anonymous"):
            answer = browsers[role].get(url)
            if answer.status_code == 200 and answer.mimetype == "text/html" and endpoint != "static":
                yield url, answer.get_data(as_text=True)


def test_every_text_field_carries_the_servers_limit(app, session, make_user, demo_data):
    limits, wrong, checked = form_limits(), [], 0
    adapter = app.url_map.bind("localhost")
    for url, html in _pages(app, session, make_user):
        parser = _TextFields(url)
        parser.feed(html)
        for action, name, maxlength in parser.fields:
            endpoint, args = adapter.match(urlsplit(action).path, method="POST" if action != url else "GET")
            expected = HAND.get((endpoint, name, args.get("step"))) or HAND.get((endpoint, name, None))
            if expected is None and len(limits[name]) != 1:
                wrong.append(f"{name} (to {endpoint}): the forms give {limits[name] or 'no limit'}; say which in HAND")
                continue
            expected = expected or next(iter(limits[name]))
            checked += 1
            if maxlength != str(expected):
                wrong.append(f"{url}: {name} (to {endpoint}) has maxlength {maxlength}, the server keeps {expected}")
    assert checked > 40
    assert not wrong, "\n".join(sorted(set(wrong)))

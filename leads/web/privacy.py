"""/privacy: the person's own door (public, no staff login, no JavaScript needed).

An address gets a one-time code by email (the answer is the same whether or not we hold anything about it);
the code unlocks, for `PRIVACY_SESSION`, their consent per purpose and a form for any rights request. The
address lives only in the signed session cookie, never in a URL. Every form carries a CSRF token; asking for
codes and typing wrong ones are throttled (`throttle`). While `PRIVACY_PAGE` is off every route answers 404.
A completed access or portability request's emailed link (`/privacy/download/<token>`, a random token that
names nobody) downloads the bundle with a fresh code emailed to the request's address (`delivery`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, session, url_for

from leads import db
from leads.consent.records import ConsentError
from leads.rights import delivery, privacy_page
from leads.rights.register import RequestError
from leads.rules import purposes, rights
from leads.web import htmx, throttle
from leads.web.forms import EmptyForm, PrivacyChoiceForm, PrivacyCodeForm, PrivacyEmailForm, PrivacyRequestForm
from leads.web.permissions import public

bp = Blueprint("privacy", __name__)
PENDING, VERIFIED = "privacy_pending", "privacy_verified"


def _page_on(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_app.config["PRIVACY_PAGE"]:
            abort(404)
        return view(*args, **kwargs)

    return wrapped


def _with_code(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view only for a browser that proved its address with an emailed code (given that address as the
    view's first argument); any other goes back to the start."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        email = _verified()
        return view(email, *args, **kwargs) if email else htmx.see_other(url_for("privacy.start"))

    return wrapped


def _verified() -> str | None:
    """The address this browser proved it holds, while that proof lasts."""
    found = session.get(VERIFIED) or {}
    return found.get("email") if found.get("until", 0) > time.time() else None


@bp.get("/privacy")
@public
@_page_on
def start() -> Any:
    """Ask for an address (or, already verified, go to the choices)."""
    if _verified():
        return htmx.see_other(url_for("privacy.mine"))
    return render_template("privacy/start.html", form=PrivacyEmailForm(), said=())


@bp.post("/privacy/code")
@public
@_page_on
def send_code() -> Any:
    """Email a code to the address, whoever it is; the answer never says whether we know it."""
    form = PrivacyEmailForm()
    if not form.validate():
        return render_template("privacy/start.html", form=form, said=()), 400
    config, now = current_app.config, db.now()
    code = privacy_page.issue_code(session=db.session(), email=form.email.data, secret=config["SECRET_KEY"], now=now)
    page_url = config["PUBLIC_URL"].rstrip("/") + url_for("privacy.start")
    message = privacy_page.code_email(sender=config["MAIL_FROM"], to=form.email.data, code=code, page_url=page_url)
    if not privacy_page.send(mail_url=config["MAIL_URL"], message=message):
        current_app.logger.warning("privacy page: a code could not be handed to the mail server")
    session[PENDING] = form.email.data.strip()
    return render_template("privacy/code.html", form=PrivacyCodeForm(), said=())


@bp.post("/privacy/verify")
@public
@_page_on
def verify() -> Any:
    """Check the code; a right one opens the choices for a while, a wrong or expired one is refused."""
    form, email = PrivacyCodeForm(), session.get(PENDING)
    ok = bool(email) and form.validate()
    ok = ok and privacy_page.verify_code(
        session=db.session(), email=email, code=form.code.data, secret=current_app.config["SECRET_KEY"], now=db.now()
    )
    if not ok:
        throttle.record_refused_privacy_code()
        said = ("That code is wrong or has expired. Check the latest email, or ask for a new code.",)
        return render_template("privacy/code.html", form=PrivacyCodeForm(), said=said), 400
    session.pop(PENDING, None)
    until = time.time() + current_app.config["PRIVACY_SESSION"].total_seconds()
    session[VERIFIED] = {"email": email, "until": until}
    return htmx.see_other(url_for("privacy.mine"))


def _mine(email: str, said: tuple[str, ...] = (), ask: PrivacyRequestForm | None = None, status: int = 200) -> Any:
    view = privacy_page.mine(session=db.session(), email=email, now=db.now())
    page = render_template(
        "privacy/mine.html", email=email, view=view, choice=PrivacyChoiceForm(), ask=ask or PrivacyRequestForm(),
        said=said, purposes=purposes.PURPOSES, kinds=rights.KINDS, statuses=rights.STATUSES,
    )  # fmt: skip
    return page, status


@bp.get("/privacy/mine")
@public
@_page_on
@_with_code
def mine(email: str) -> Any:
    """The verified address's consent per purpose, its requests, and the forms to change them."""
    return _mine(email)


@bp.post("/privacy/choose")
@public
@_page_on
@_with_code
def choose(email: str) -> Any:
    """Give, withdraw or object, recorded on the person at once."""
    form = PrivacyChoiceForm()
    if not form.validate():
        return _mine(email, ("Choose one of the buttons.",), status=400)
    try:
        done = privacy_page.choose(session=db.session(), email=email, purpose=form.purpose.data,
                                   granted=form.choice.data == "give", objection=form.choice.data == "object",
                                   now=db.now())  # fmt: skip
    except ConsentError as error:
        return _mine(email, (str(error),), status=409)
    return _mine(email, (done,))


@bp.post("/privacy/request")
@public
@_page_on
@_with_code
def request(email: str) -> Any:
    """A rights request, into the register as received now, identity verified by the emailed code."""
    form = PrivacyRequestForm()
    if not form.validate():
        return _mine(email, ask=form, status=400)
    try:
        made = privacy_page.make_request(session=db.session(), email=email, kind=form.kind.data,
                                         details=form.details.data or "", now=db.now())  # fmt: skip
    except RequestError as error:
        form.refuse(form.details, str(error))
        return _mine(email, ask=form, status=400)
    due = f" We will answer by {made.due_on:%-d %B %Y}." if made.due_on else ""
    return _mine(email, (f"We have your request ({rights.KINDS[made.kind]}), received today.{due}",))


def _cache() -> Path:
    return Path(current_app.config["EXPORT_CACHE"])


def _download_page(token: str, said: tuple[str, ...] = (), status: int = 200, asked: bool = False) -> Any:
    page = render_template("privacy/download.html", token=token, ask=EmptyForm(), form=PrivacyCodeForm(),
                           said=said, asked=asked)  # fmt: skip
    return page, status


def _gone() -> Any:
    return render_template("privacy/layout.html", said=(delivery.GONE,)), 404


@bp.get("/privacy/download/<token>")
@public
@_page_on
def download(token: str) -> Any:
    """The emailed link: what it downloads, and how (a code emailed to the request's address first)."""
    config = current_app.config
    if not delivery.opens(session=db.session(), token=token, secret=config["SECRET_KEY"], cache=_cache(), now=db.now()):
        return _gone()
    return _download_page(token)


@bp.post("/privacy/download/<token>/code")
@public
@_page_on
def download_code(token: str) -> Any:
    """Email a fresh code to the address the request came from (never one typed here)."""
    config, form = current_app.config, EmptyForm()
    if not form.validate():
        return _download_page(token, ("The form had expired: press the button again.",), 400)
    found = delivery.ask_code(session=db.session(), token=token, secret=config["SECRET_KEY"], cache=_cache(),
                              now=db.now())  # fmt: skip
    if found is None:
        return _gone()
    page_url = config["PUBLIC_URL"].rstrip("/") + url_for("privacy.download", token=token)
    message = privacy_page.code_email(sender=config["MAIL_FROM"], to=found[0], code=found[1], page_url=page_url)
    if not privacy_page.send(mail_url=config["MAIL_URL"], message=message):
        current_app.logger.warning("privacy page: a download code could not be handed to the mail server")
    return _download_page(token, ("We have emailed you a code. It works once, for 15 minutes.",), asked=True)


@bp.post("/privacy/download/<token>")
@public
@_page_on
def download_file(token: str) -> Any:
    """The bundle itself, for the right code: a ZIP download, counted against the link's limit."""
    form = PrivacyCodeForm()
    if not form.validate():
        throttle.record_refused_privacy_code()
        return _download_page(token, ("Type the 6-digit code we emailed you.",), 400, asked=True)
    try:
        got = delivery.download(session=db.session(), token=token, code=form.code.data,
                                secret=current_app.config["SECRET_KEY"], cache=_cache(), now=db.now())  # fmt: skip
    except delivery.LinkGone:
        return _gone()
    except delivery.DeliveryError as error:
        throttle.record_refused_privacy_code()
        return _download_page(token, (str(error),), 400, asked=True)
    name = f"radnac-{got.kind}-{db.now():%Y%m%d}.zip"
    return Response(got.data, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip

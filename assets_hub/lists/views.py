"""Saved lists' pages: save from a result or a listing, the list itself (rename, notes, order,
remove, email, share), the read-only shared page and the print page. Plain forms throughout:
every page works without JavaScript."""
from __future__ import annotations

import flask
from flask_login import current_user, user_logged_in

from assets_hub.forms import shows_errors_on
from assets_hub.lists import services
from assets_hub.lists.services import Keeper

bp = flask.Blueprint("lists", __name__)
SESSION_KEY, EMAILED = "list_key", "lists_emailed"


def keeper(create: bool = False) -> Keeper:
    """Who is asking: the signed-in person, or this browser session (given a key when it first
    saves something)."""
    if current_user.is_authenticated:
        return Keeper(user=current_user._get_current_object())
    key = flask.session.get(SESSION_KEY)
    if key is None and create:
        key = flask.session[SESSION_KEY] = services.new_session_key()
    return Keeper(key=key)


@bp.record_once
def _carry_key_over_sign_in(state):
    carried = state.app.config.setdefault("SESSION_CARRY_ON_SIGN_IN", ())
    state.app.config["SESSION_CARRY_ON_SIGN_IN"] = (*carried, SESSION_KEY)


@user_logged_in.connect
def _adopt_on_sign_in(_app, user, **_):
    """What this browser saved before signing in is kept in the account from now on."""
    key = flask.session.pop(SESSION_KEY, None)
    if key:
        services.adopt(user, key)


@bp.app_context_processor
def _saved():
    return {"saved_count": lambda: services.count_saved(keeper()),
            "saved_here": lambda ids: services.lists_holding(keeper(), list(ids))}


def _back(default: str) -> str:
    """Where the person came from, when it is a page of ours (never another site)."""
    target = flask.request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


@bp.post("/lists/save")
@shows_errors_on("lists.index")
def save():
    saved, service, added = services.save(keeper(create=True), flask.request.form.get("service_id"),
                                          flask.request.form.get("list_id"))
    flask.flash(f"Saved “{service.name}” to {saved.name}." if added else f"“{service.name}” is already in {saved.name}.")
    return flask.redirect(_back(flask.url_for("lists.show", list_id=saved.id)))


@bp.get("/lists")
def index():
    mine = services.lists_of(keeper())
    return flask.render_template("lists/index.html", lists=mine, anonymous=not current_user.is_authenticated)


@bp.post("/lists")
@shows_errors_on("lists.index")
def create():
    saved = services.create_list(keeper(create=True), flask.request.form.get("name"))
    flask.flash(f"Started the list “{saved.name}”.")
    return flask.redirect(flask.url_for("lists.show", list_id=saved.id))


@bp.get("/lists/<list_id>")
def show(list_id, **_):  # (**_: an item action that failed shows this page)
    saved = services.get_list(keeper(), list_id)
    return flask.render_template("lists/list.html", saved=saved, entries=services.entries(saved),
                                 share_url=flask.url_for("lists.shared", token=saved.share_token, _external=True),
                                 anonymous=not current_user.is_authenticated,
                                 emails_left=services.SESSION_EMAILS - flask.session.get(EMAILED, 0))


@bp.post("/lists/<list_id>/name")
@shows_errors_on("lists.show")
def rename(list_id):
    saved = services.rename(keeper(), list_id, flask.request.form.get("name"))
    flask.flash(f"Renamed the list “{saved.name}”.")
    return flask.redirect(flask.url_for("lists.show", list_id=list_id))


@bp.post("/lists/<list_id>/items/<service_id>/note")
@shows_errors_on("lists.show")
def note(list_id, service_id):
    services.set_note(keeper(), list_id, service_id, flask.request.form.get("note"))
    flask.flash("Saved your note.")
    return flask.redirect(flask.url_for("lists.show", list_id=list_id) + f"#item-{service_id}")


@bp.post("/lists/<list_id>/items/<service_id>/move")
@shows_errors_on("lists.show")
def move(list_id, service_id):
    services.move(keeper(), list_id, service_id, flask.request.form.get("direction", ""))
    return flask.redirect(flask.url_for("lists.show", list_id=list_id) + f"#item-{service_id}")


@bp.post("/lists/<list_id>/items/<service_id>/remove")
@shows_errors_on("lists.show")
def remove(list_id, service_id):
    service = services.remove(keeper(), list_id, service_id)
    flask.flash(f"Took “{service.name if service else 'the service'}” off the list.")
    return flask.redirect(flask.url_for("lists.show", list_id=list_id))


@bp.post("/lists/<list_id>/delete")
@shows_errors_on("lists.show")
def delete(list_id):
    name = services.delete_list(keeper(), list_id)
    flask.flash(f"Deleted the list “{name}”.")
    return flask.redirect(flask.url_for("lists.index"))


@bp.post("/lists/<list_id>/email")
@shows_errors_on("lists.show")
def email(list_id):
    saved = services.get_list(keeper(), list_id)
    to = services.email(keeper(), list_id, flask.request.form.get("email"),
                        flask.url_for("lists.shared", token=saved.share_token, _external=True),
                        flask.session.get(EMAILED, 0))
    if not current_user.is_authenticated:
        flask.session[EMAILED] = flask.session.get(EMAILED, 0) + 1
    flask.flash(f"Emailed the list to {to}.")
    return flask.redirect(flask.url_for("lists.show", list_id=list_id))


@bp.get("/lists/<list_id>/print")
def print_mine(list_id):
    saved = services.get_list(keeper(), list_id)
    return flask.render_template("lists/print.html", saved=saved, entries=services.entries(saved))


@bp.get("/lists/shared/<token>")
def shared(token):
    """Anyone with the link reads the list; nobody changes it from here."""
    saved = services.shared_list(token)
    return flask.render_template("lists/shared.html", saved=saved, entries=services.entries(saved), token=token)


@bp.get("/lists/shared/<token>/print")
def print_shared(token):
    saved = services.shared_list(token)
    return flask.render_template("lists/print.html", saved=saved, entries=services.entries(saved))

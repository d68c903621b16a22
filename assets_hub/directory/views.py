"""The directory's public pages: home, categories, a service, an organisation, about.

The forms that change listings are curation's (``curation.views``); a service page's claim and
edit buttons come from curation too, through the template helper ``listing_claim``."""
from __future__ import annotations

import flask

from assets_hub.config import PROJECT_ROOT
from assets_hub.directory import presenters, services
from assets_hub.directory.vocab import ACCESSIBILITY, LANGUAGES

bp = flask.Blueprint("directory", __name__)


def _page_arg() -> int:
    try:
        return max(1, min(int(flask.request.args.get("page", 1)), 10_000))
    except ValueError:
        return 1


@bp.route("/")
def home():
    return flask.render_template("directory/home.html", tree=services.category_tree())


@bp.route("/categories")
def categories():
    return flask.render_template("directory/categories.html", tree=services.category_tree())


@bp.route("/categories/<path:code>")
def category(code):
    term = services.get_category(code)
    page = _page_arg()
    rows, total = services.category_services(term, page=page)
    return flask.render_template("directory/category.html", term=term, services=rows, total=total, page=page,
                                 per_page=20)


@bp.route("/services/<service_id>")
def service(service_id):
    svc = services.get_service(service_id)
    if svc.merged_into_id:  # merged by a curator: the listing lives on under the other address
        return flask.redirect(flask.url_for("directory.service", service_id=svc.merged_into_id), 301)
    locations = [(sal, presenters.opening_times(sal.schedules)) for sal in svc.service_at_locations]
    return flask.render_template("directory/service.html", service=svc, locations=locations,
                                 language_names=LANGUAGES, accessibility_names=ACCESSIBILITY,
                                 service_times=presenters.opening_times(svc.schedules),
                                 closures=presenters.closures(
                                     [*svc.schedules, *(s for sal in svc.service_at_locations for s in sal.schedules)]),
                                 visible=svc.status in services.VISIBLE_STATUSES)


@bp.route("/organizations/<org_id>")
def organization(org_id):
    org = services.get_organization(org_id)
    return flask.render_template("directory/organization.html", org=org,
                                 visible_statuses=services.VISIBLE_STATUSES)


@bp.route("/about")
def about():
    return flask.render_template("directory/about.html", attributions=_attributions())


def _attributions() -> dict[str, str]:
    data = PROJECT_ROOT / "assets_hub" / "data"
    return {
        "mit": (data / "assets" / "LICENCE-MIT-LibrariesHacked.txt").read_text(encoding="utf-8"),
    }

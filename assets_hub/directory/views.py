"""Public pages and the curators' forms for listings."""
from __future__ import annotations

import flask
from flask_login import current_user, login_required

from assets_hub.accounts.permissions import CURATORS, require_role
from assets_hub.config import PROJECT_ROOT
from assets_hub.directory import presenters, services
from assets_hub.directory.models import SERVICE_STATUSES
from assets_hub.directory.schemas import OrganizationCreateSchema, ServiceCreateSchema, ServiceUpdateSchema
from assets_hub.errors import AppError
from assets_hub.forms import errors_from, form_data, load_or_errors
from assets_hub.directory.vocab import ACCESSIBILITY, LANGUAGES

bp = flask.Blueprint("directory", __name__)

MULTI = ("categories", "languages", "accessibility")
FLAGS = ("self_referral", "professional_referral", "delivered_in_person", "delivered_online", "delivered_by_phone")


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
    from curation.workflow import active_claim, claim_waiting
    svc = services.get_service(service_id)
    if svc.merged_into_id:  # merged by a curator: the listing lives on under the other address
        return flask.redirect(flask.url_for("directory.service", service_id=svc.merged_into_id), 301)
    locations = [(sal, presenters.opening_times(sal.schedules)) for sal in svc.service_at_locations]
    return flask.render_template("directory/service.html", service=svc, locations=locations,
                                 can_edit=active_claim(current_user, svc) is not None,
                                 claim_waiting=claim_waiting(current_user, svc),
                                 language_names=LANGUAGES, accessibility_names=ACCESSIBILITY,
                                 service_times=presenters.opening_times(svc.schedules),
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


# ------------------------------------------------------------------ curators' forms

@bp.route("/manage/organizations/new", methods=["GET", "POST"])
@login_required
def new_organization():
    require_role(current_user, *CURATORS, action="add organisations")
    errors, values = {}, {}
    if flask.request.method == "POST":
        values = form_data()
        data, errors = load_or_errors(OrganizationCreateSchema(), values)
        if data:
            try:
                org = services.create_organization(current_user, data)
            except AppError as exc:
                errors = errors_from(exc)
            else:
                flask.flash(f"Added {org.name}.")
                return flask.redirect(flask.url_for("directory.organization", org_id=org.id))
    return flask.render_template("directory/organization_form.html", errors=errors, values=values), \
        (422 if errors else 200)


def _service_form(template_values: dict, errors: dict, service=None, claim=None, organizations=None):
    return flask.render_template("directory/service_form.html", errors=errors, values=template_values,
                                 service=service, claim=claim, proposing=organizations is not None,
                                 organizations=organizations if organizations is not None
                                 else services.list_organizations(),
                                 categories=services.all_categories(), statuses=SERVICE_STATUSES,
                                 languages=LANGUAGES, accessibility=ACCESSIBILITY), \
        (422 if errors else 200)


@bp.route("/manage/services/new", methods=["GET", "POST"])
@login_required
def new_service():
    """Curators add a service; a provider who looks after an organisation proposes one for it,
    which waits for a curator."""
    from curation import workflow
    proposing = current_user.role not in CURATORS
    organizations = None
    if proposing:
        organizations = workflow.claimed_organizations(current_user)
        if not organizations:
            require_role(current_user, *CURATORS, action="add services")
    errors: dict = {}
    values: dict = {"organization_id": flask.request.args.get("organization_id", ""), "status": "active"}
    if flask.request.method == "POST":
        values = form_data(multi=MULTI)
        data, errors = load_or_errors(ServiceCreateSchema(), values)
        if data:
            try:
                if proposing:
                    workflow.propose_new_service(current_user, values)
                    flask.flash("Thank you. A curator will check the new listing before it appears.")
                    return flask.redirect(flask.url_for("curation.my_listings"))
                svc = services.create_service(current_user, data)
            except AppError as exc:
                errors = errors_from(exc)
            else:
                flask.flash(f"Added {svc.name}.")
                return flask.redirect(flask.url_for("directory.service", service_id=svc.id))
    return _service_form(values, errors, organizations=organizations)


@bp.route("/manage/services/<service_id>/edit", methods=["GET", "POST"])
@login_required
def edit_service(service_id):
    """Curators change a listing directly; a provider who looks after it proposes a change that
    waits for a curator (or is published at once if the curator trusts them)."""
    from curation import workflow
    svc = services.get_service(service_id)
    claim = None
    if current_user.role not in CURATORS:
        claim = workflow.active_claim(current_user, svc)
        if claim is None:
            require_role(current_user, *CURATORS, action="change services")
    errors: dict = {}
    if flask.request.method == "POST":
        values = form_data(multi=MULTI)
        # A form sends every field: an emptied field means "clear it", an unticked box "no".
        for name in ("url", "email", "phone", "application_process", "fees_description",
                     "eligibility_description", "minimum_age", "maximum_age", "areas", "area_geojson"):
            values.setdefault(name, None)
        for name in MULTI:
            values.setdefault(name, [])
        for name in ("is_free", *FLAGS):
            values.setdefault(name, "off")
        data, errors = load_or_errors(ServiceUpdateSchema(), values)
        if data:
            try:
                if claim is not None:
                    workflow.propose_update(current_user, service_id, values,
                                                      changed_fields(service_form_values(svc), values))
                    flask.flash(f"Saved {svc.name}." if claim.trusted else
                                "Thank you. A curator will check your changes; the listing stays as it is until then.")
                    return flask.redirect(flask.url_for("directory.service", service_id=service_id))
                services.update_service(current_user, service_id, data)
            except AppError as exc:
                errors = errors_from(exc)
            else:
                flask.flash(f"Saved {svc.name}.")
                return flask.redirect(flask.url_for("directory.service", service_id=svc.id))
    else:
        values = service_form_values(svc)
    return _service_form(values, errors, service=svc, claim=claim)


def _same(value) -> object:
    if value in (None, "", [], "off"):
        return None
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    return str(value).strip()


def changed_fields(current: dict, proposed: dict) -> list[str]:
    """The form fields a proposal changes, for the curator's queue."""
    return [k for k in proposed if _same(proposed[k]) != _same(current.get(k))]


def service_form_values(svc) -> dict:
    values = {f: getattr(svc, f) for f in services.SERVICE_FIELDS}
    for flag in FLAGS:
        values[flag] = "on" if values[flag] else None
    values["languages"] = [lang.code for lang in svc.languages]
    values["accessibility"] = sorted({a.details for sal in svc.service_at_locations
                                      for a in sal.location.accessibility})
    values.update(organization_id=svc.organization_id,
                  phone=svc.phones[0].number if svc.phones else None,
                  is_free="on" if any(c.amount == 0 for c in svc.cost_options) else None,
                  categories=[a.taxonomy_term_id for a in svc.attributes],
                  areas=", ".join(a.name for a in svc.service_areas if a.area_code))
    drawn = [a for a in svc.service_areas if a.area_type == "geojson"]
    if drawn:
        values.update(area_name=drawn[0].name, area_geojson=drawn[0].extent)
    if svc.service_at_locations:
        loc = svc.service_at_locations[0].location
        values["location_name"] = loc.name
        if not loc.addresses:  # coordinates only when there is no postcode to place it from
            values.update(latitude=loc.latitude, longitude=loc.longitude)
        else:
            a = loc.addresses[0]
            values.update(address_1=a.address_1, address_2=a.address_2, city=a.city, postcode=a.postal_code)
    return {k: v for k, v in values.items() if v is not None}


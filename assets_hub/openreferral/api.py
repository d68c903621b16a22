"""The Open Referral HSDS 3.0 API at /api/v3: public, read-only, paginated, CORS-open, rate limited."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import flask
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from assets_hub.directory import records
from assets_hub.errors import AppError, NotFound, error_response
from assets_hub.geo import PlaceNotFound, resolve_place
from assets_hub.ids import is_uuid
from assets_hub.openreferral import openapi, queries
from curation.history import metadata_for

bp = flask.Blueprint("openreferral", __name__, url_prefix="/api/v3")


class BadQuery(AppError):
    status = 400
    code = "bad_query"


PAGING = {"page", "per_page", "format"}
SERVICE_FILTERS = {"search", "taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after"}
TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


class Params:
    """The query string, checked against what this endpoint takes; every problem names its field."""

    def __init__(self, allowed: set[str]):
        args = flask.request.args
        unknown = sorted(set(args) - allowed)
        if unknown:
            raise BadQuery(f"Unknown parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                           f"This endpoint takes: {', '.join(sorted(allowed)) or 'none'}.",
                           {u[:60]: ["Not a parameter of this endpoint."] for u in unknown})
        repeated = sorted(k for k in set(args) if len(args.getlist(k)) > 1)
        if repeated:
            raise BadQuery(f"Give {repeated[0]} once.", {k[:60]: ["Given more than once."] for k in repeated})
        self.args = args

    def text(self, name: str, max_len: int = 500) -> str | None:
        value = self.args.get(name)
        if value is not None and len(value) > max_len:
            raise BadQuery(f"{name} is too long (at most {max_len} characters).", {name: ["Too long."]})
        return value or None

    def integer(self, name: str, default: int, minimum: int, clamp_to: int | None = None,
                maximum: int | None = None) -> int:
        raw = self.args.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise BadQuery(f"{name} must be a whole number.", {name: ["Not a whole number."]}) from None
        if value < minimum:
            raise BadQuery(f"{name} must be {minimum} or more.", {name: [f"Must be {minimum} or more."]})
        if maximum is not None and value > maximum:
            raise BadQuery(f"{name} must be at most {maximum}.", {name: [f"Must be at most {maximum}."]})
        return min(value, clamp_to) if clamp_to else value

    def boolean(self, name: str) -> bool:
        if name not in self.args:
            return False
        raw = self.args[name].strip().lower()  # present but empty is not a boolean (the document says so)
        if raw in TRUE:
            return True
        if raw in FALSE:
            return False
        raise BadQuery(f"{name} must be true or false.", {name: ["Must be true or false."]})

    def uuid(self, name: str) -> str | None:
        value = self.args.get(name)
        if value is None:
            return None
        if not is_uuid(value):
            raise BadQuery(f"{name} must be a UUID.", {name: ["Not a UUID."]})
        return value.lower()

    def when(self, name: str) -> datetime | None:
        raw = self.args.get(name)
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+", 1)
                                           if "T" in raw else raw.strip())
        except ValueError:
            raise BadQuery(f"{name} must be an ISO 8601 date or date-time, e.g. 2026-01-31T09:00:00Z.",
                           {name: ["Not an ISO 8601 date-time."]}) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def paging(self) -> tuple[int, int, bool]:
        page = self.integer("page", 1, 1)
        per_page = self.integer("per_page", openapi.DEFAULT_PER_PAGE, 1, clamp_to=openapi.MAX_PER_PAGE)
        fmt = self.args.get("format", "json").lower()
        if fmt not in ("json", "ndjson"):
            raise BadQuery("format must be json or ndjson.", {"format": ["Must be json or ndjson."]})
        return page, per_page, fmt == "ndjson"

    def service_filter(self) -> queries.ServiceFilter:
        return queries.ServiceFilter(search=self.text("search"), taxonomy_term_id=self.uuid("taxonomy_term_id"),
                                     taxonomy_id=self.uuid("taxonomy_id"),
                                     organization_id=self.uuid("organization_id"),
                                     modified_after=self.when("modified_after"))


def _latest(*stamps: datetime) -> datetime:
    """The latest of some timestamps (SQLite hands them back without a zone: they are UTC)."""
    return max(s if s.tzinfo else s.replace(tzinfo=timezone.utc) for s in stamps)


def _record(body: dict, last_modified: datetime | None = None):
    """A single record with a strong ETag (and Last-Modified when known); 304 when the client has it."""
    response = flask.make_response(flask.jsonify(body))
    response.add_etag()
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = "public, max-age=60"
    return response.make_conditional(flask.request)


def _list(page: queries.Page, contents: list):
    response = flask.make_response(flask.jsonify(page.envelope(contents)))
    response.add_etag()
    stamps = [item.updated_at for item in page.items if getattr(item, "updated_at", None) is not None]
    if stamps:  # the newest change among the page's records
        response.last_modified = _latest(*stamps)
    return response.make_conditional(flask.request)


def _ndjson(rows, to_record):
    def generate():
        for row in rows:
            yield json.dumps(to_record(row), ensure_ascii=False, separators=(",", ":")) + "\n"
    return flask.Response(flask.stream_with_context(generate()), mimetype="application/x-ndjson")


@bp.get("/")
def root():
    Params(set())
    cfg = flask.current_app.config
    return {"version": openapi.HSDS_VERSION, "profile": cfg["OPENREFERRAL_PROFILE"],
            "openapi_url": flask.url_for("openreferral.openapi_document", _external=True),
            "documentation_url": flask.url_for("openreferral_docs.docs", _external=True),
            "licence": {"name": cfg["DATA_LICENCE_NAME"], "url": cfg["DATA_LICENCE_URL"],
                        "attribution": [cfg["DATA_ATTRIBUTION"], openapi.POSTCODE_ATTRIBUTION,
                                        openapi.HSDS_ATTRIBUTION]}}


@bp.get("/openapi.json")
def openapi_document():
    cfg = flask.current_app.config
    server = flask.url_for("openreferral.root", _external=True).rstrip("/")
    return openapi.document(server, cfg["DATA_LICENCE_NAME"], cfg["DATA_LICENCE_URL"])


@bp.get("/schema/<path:name>")
def schema_file(name):
    """The HSDS JSON Schemas our OpenAPI document refers to."""
    data = openapi.schema_file(name)
    if data is None:
        raise NotFound(f"There is no schema called “{name[:80]}”.")
    response = flask.Response(data, mimetype="application/schema+json")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/services")
def services():
    p = Params(PAGING | SERVICE_FILTERS | {"minimal", "full"})
    page, per_page, ndjson = p.paging()
    f, full, minimal = p.service_filter(), p.boolean("full"), p.boolean("minimal")
    shape = records.service_minimal if minimal else records.service_full if full else records.service_brief
    if ndjson:
        return _ndjson(queries.stream_services(f, full and not minimal), shape)
    result = queries.services_page(f, page, per_page, full and not minimal)
    return _list(result, [shape(s) for s in result.items])


@bp.get("/services/<service_id>")
def service(service_id):
    Params(set())
    svc = queries.get_service_record(service_id)
    body = records.service_full(svc)
    body["metadata"] = metadata_for(svc.id, limit=100)  # the listing's change log (newest first)
    return _record(body, _latest(svc.updated_at, svc.organization.updated_at))


@bp.get("/organizations")
def organizations():
    p = Params(PAGING | {"search", "full_service", "full"})
    page, per_page, ndjson = p.paging()
    search, full, full_service = p.text("search"), p.boolean("full"), p.boolean("full_service")
    if ndjson:
        def stream():
            offset = 1
            while True:
                chunk = queries.organizations_page(search, offset, 200)
                yield from chunk.items
                if len(chunk.items) < 200:
                    return
                offset += 1
        return _ndjson(stream(), records.organization_brief)
    result = queries.organizations_page(search, page, per_page)
    if full or full_service:
        by_org = queries.organization_services([o.id for o in result.items], full_service)
        contents = [records.organization_full(o, by_org[o.id], full_service) for o in result.items]
    else:
        contents = [records.organization_brief(o) for o in result.items]
    return _list(result, contents)


@bp.get("/organizations/<org_id>")
def organization(org_id):
    p = Params({"full_service"})
    full_service = p.boolean("full_service")
    org = queries.get_organization(org_id)
    svcs = queries.organization_services([org.id], full_service)[org.id]
    body = records.organization_full(org, svcs, full_service)
    return _record(body, _latest(org.updated_at, *[s.updated_at for s in svcs]))


@bp.get("/taxonomies")
def taxonomies():
    p = Params(PAGING | {"search"})
    page, per_page, ndjson = p.paging()
    result = queries.taxonomies_page(p.text("search"), 1 if ndjson else page, 100_000 if ndjson else per_page)
    if ndjson:
        return _ndjson(result.items, records.taxonomy)
    return _list(result, [records.taxonomy(t) for t in result.items])


@bp.get("/taxonomies/<taxonomy_id>")
def taxonomy(taxonomy_id):
    Params(set())
    return _record(records.taxonomy(queries.get_taxonomy(taxonomy_id)))


@bp.get("/taxonomy_terms")
def taxonomy_terms():
    p = Params(PAGING | {"search", "taxonomy_id", "top_only", "parent_id"})
    page, per_page, ndjson = p.paging()
    args = (p.text("search"), p.uuid("taxonomy_id"), p.boolean("top_only"), p.uuid("parent_id"))
    result = queries.terms_page(*args, 1 if ndjson else page, 100_000 if ndjson else per_page)

    def shape(t):
        return records.taxonomy_term(t, t.taxonomy.name)
    if ndjson:
        return _ndjson(result.items, shape)
    return _list(result, [shape(t) for t in result.items])


@bp.get("/taxonomy_terms/<term_id>")
def taxonomy_term(term_id):
    Params(set())
    term = queries.get_term(term_id)
    return _record(records.taxonomy_term(term, term.taxonomy.name))


@bp.get("/service_at_locations")
def service_at_locations():
    p = Params(PAGING | SERVICE_FILTERS | {"full", "postcode", "proximity"})
    page, per_page, ndjson = p.paging()
    f, full = p.service_filter(), p.boolean("full")
    postcode = p.text("postcode", 100)
    proximity = p.integer("proximity", openapi.DEFAULT_PROXIMITY_M, 1, maximum=openapi.MAX_PROXIMITY_M)
    near = None
    if postcode:
        try:
            near = (resolve_place(postcode, field="postcode"), proximity)
        except PlaceNotFound as exc:  # a well-formed question about a place we do not know
            raise NotFound(exc.message, exc.fields) from None
    # (proximity without a postcode has nothing to measure from and is ignored, as the document says:
    # OpenAPI cannot make one parameter depend on another, so refusing it would contradict it)
    if ndjson:
        return _ndjson(queries.stream_service_at_locations(f, full, near),
                       lambda pair: {**records.service_at_location_listed(pair[0], full),
                                     **({"distance": round(pair[1])} if near else {})})
    result, distance = queries.service_at_locations_page(f, page, per_page, full, near)
    contents = [records.service_at_location_listed(s, full) for s in result.items]
    if near:
        for item in contents:
            item["distance"] = round(distance[item["id"]])
    return _list(result, contents)


@bp.get("/service_at_locations/<sal_id>")
def service_at_location(sal_id):
    Params(set())
    sal = queries.get_service_at_location(sal_id)
    return _record(records.service_at_location_full(sal),
                   _latest(sal.service.updated_at, sal.location.updated_at))


docs_bp = flask.Blueprint("openreferral_docs", __name__)


@docs_bp.get("/api/docs")
def docs():
    cfg = flask.current_app.config
    return flask.render_template("api/docs.html", base=flask.url_for("openreferral.root", _external=True),
                                 max_per_page=openapi.MAX_PER_PAGE, default_per_page=openapi.DEFAULT_PER_PAGE,
                                 default_proximity=openapi.DEFAULT_PROXIMITY_M,
                                 max_proximity=openapi.MAX_PROXIMITY_M, extensions=openapi.EXTENSIONS,
                                 licence_name=cfg["DATA_LICENCE_NAME"], licence_url=cfg["DATA_LICENCE_URL"],
                                 attribution=[cfg["DATA_ATTRIBUTION"], openapi.POSTCODE_ATTRIBUTION,
                                              openapi.HSDS_ATTRIBUTION],
                                 rate_limit=cfg["API_RATE_LIMIT"])


def init_app(app: flask.Flask) -> None:
    # One limiter per app (its own storage: memory by default, RATELIMIT_STORAGE_URI for a shared one).
    limiter = Limiter(get_remote_address, app=app, headers_enabled=True, default_limits=[],
                      storage_uri=app.config.get("RATELIMIT_STORAGE_URI", "memory://"))
    # One budget per client across the whole API, not one per endpoint.
    limiter.shared_limit(lambda: flask.current_app.config["API_RATE_LIMIT"], scope="api-v3")(bp)
    app.extensions["assets_hub_limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc):
        return error_response(429, "too_many_requests",
                              f"Too many requests from this client (the limit is {exc.limit.limit}). "
                              "Wait for the number of seconds in the Retry-After header and try again.")
    app.register_blueprint(bp)
    app.register_blueprint(docs_bp)

    @app.after_request
    def _cors(response):
        if flask.request.path.startswith("/api/v3"):
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified, Retry-After, X-RateLimit-Limit"
        return response

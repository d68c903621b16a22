"""Reports on the link-worker service: the one query layer the report pages, their CSV downloads
and ``GET /api/reports/<name>`` all read, so the three never disagree.

Who sees what: a link worker (and a team lead) sees their own teams' figures in full; an admin
every team's in full; a commissioner every team's, aggregates only, with small numbers suppressed
(a count from 1 to 4 is shown as "fewer than 5", and where a total would give a suppressed count
away, the next smallest count in that column is withheld too). Nobody else sees reports.

What counts, and when: a referral counts by the day it arrived (``from`` and ``to`` included),
whoever it was about: a referral whose person was erased stays, anonymous, and counts the same
(its dates were moved to the first of its month, so near the ends of a range it may fall a few
days earlier). Onward referrals count by the day they were sent. Caseload counts cases open now.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Date, and_, case, cast, func, or_, select

from assets_hub.accounts.models import User
from assets_hub.db import db
from assets_hub.errors import NotFound
from assets_hub.geo.models import LocalAuthority
from assets_hub.periods import bounds, months_between, settle_range
from assets_hub.referrals import access
from assets_hub.referrals.models import Need, OnwardReferral, Outcome, Referral, Team
from assets_hub.referrals.vocab import (AGE_BANDS, NEEDS, ONS4_MEANINGFUL, ONS4_SHORT, SOURCES,
                                        SWEMWBS_MEANINGFUL)
from assets_hub.roles import require_role

FEWER_THAN_5 = "fewer than 5"
WITHHELD = "not shown"  # a count withheld so that a total does not give a smaller one away
SMALL = 5


@dataclass
class Scope:
    """Whose figures a reader gets, over which days, and whether small numbers are suppressed."""
    team_ids: list[str] | None  # None: every team
    start: date
    end: date
    suppressed: bool
    team_names: dict[str, str] = field(default_factory=dict)  # the teams the reader may choose from
    team_id: str | None = None  # the one chosen, if any


def scope_for(actor, team_id: str | None = None, start: date | None = None, end: date | None = None) -> Scope:
    """Who may read reports, and what of: see the module. Raises Unauthorised/Forbidden for anyone
    else, and NotFound for a team the reader may not see (as a referral's id, a team's reveals nothing)."""
    require_role(actor, "link_worker", "commissioner", action="see reports")
    start, end = settle_range(start, end)
    all_teams = dict(db.session.execute(select(Team.id, Team.name).order_by(Team.name)).tuples().all())
    if actor.role == "link_worker":
        mine = access.memberships(actor)
        names = {k: v for k, v in all_teams.items() if k in mine}
        if not names:
            raise NotFound("You are not in a social prescribing team yet: ask a team lead to add you.")
    else:
        names = all_teams
    if team_id and team_id not in names:
        raise NotFound("There is no such team, or its reports are not yours to see.")
    teams = [team_id] if team_id else (None if actor.role != "link_worker" else list(names))
    return Scope(teams, start, end, suppressed=actor.role == "commissioner", team_names=names, team_id=team_id)


@dataclass
class Column:
    key: str
    label: str
    kind: str = "count"  # count (suppressed when small) | label | figure (a median, mean or share)
    base: str | None = None  # a figure's count column: the figure is withheld when that count is small


@dataclass
class Report:
    name: str
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    total: list | None = None  # a totals row, for tables where each referral counts once
    note: str = ""
    chart: tuple[int, int] | None = None  # (label column, value column) to draw as bars
    # counts in a row that add up to another of its counts: (the total's key, the parts' keys)
    row_sums: list[tuple[str, list[str]]] = field(default_factory=list)

    def as_dicts(self) -> list[dict]:
        return [{c.key: v for c, v in zip(self.columns, row)} for row in self.rows]

    def csv_rows(self) -> list[list]:
        out = [[c.label for c in self.columns]] + [list(r) for r in self.rows]
        if self.total is not None:
            out.append(list(self.total))
        return out

    def chart_rows(self) -> list[tuple[str, int | None]]:
        if self.chart is None:
            return []
        label, value = self.chart
        return [(str(r[label]), r[value] if isinstance(r[value], int) else None) for r in self.rows]


# ------------------------------------------------------------------ the reports

def _in_scope(scope: Scope, column=Referral.received_at):
    low, high = bounds(scope.start, scope.end)
    conditions = [column >= low, column < high]
    if scope.team_ids is not None:
        conditions.append(Referral.team_id.in_(scope.team_ids))
    return and_(*conditions)


def _month(column):
    if db.is_postgres:
        return func.to_char(func.timezone("UTC", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


def _days_between(first, then):
    """Whole days (UTC) from moment ``first`` to moment ``then``. On PostgreSQL the difference of
    two dates, an integer (epoch arithmetic is numeric, and cost 150 ms over every year)."""
    if db.is_postgres:
        return cast(func.timezone("UTC", then), Date) - cast(func.timezone("UTC", first), Date)
    return func.floor(func.julianday(func.date(then))) - func.floor(func.julianday(func.date(first)))


def _counted(scope: Scope, name: str, title: str, label: str, key_column, labels: dict | None = None,
             order: list | None = None, note: str = "") -> Report:
    """Referrals in scope counted by one column: a row per value, and a total."""
    rows = dict(db.session.execute(
        select(key_column, func.count()).where(_in_scope(scope)).group_by(key_column)).tuples().all())
    keys = order if order is not None else sorted(rows, key=lambda k: (-rows[k], str(k)))
    keys = keys + [k for k in rows if k not in keys]
    report = Report(name, title, [Column("group", label, "label"), Column("referrals", "Referrals")], note=note)
    report.rows = [[(labels or {}).get(k, k if k is not None else "Not known"), rows.get(k, 0)] for k in keys]
    report.total = ["Total", sum(rows.values())]
    return report


def by_month(scope: Scope) -> Report:
    month = _month(Referral.received_at)
    report = _counted(scope, "by_month", "Referrals by month", "Month", month,
                      order=months_between(scope.start, scope.end))
    report.chart = (0, 1)
    return report


def by_source(scope: Scope) -> Report:
    return _counted(scope, "by_source", "Referrals by source", "Source", Referral.source, SOURCES,
                    order=list(SOURCES))


def by_practice(scope: Scope) -> Report:
    practice = func.coalesce(Referral.gp_name + " (" + Referral.gp_ods_code + ")", Referral.gp_name)
    return _counted(scope, "by_practice", "Referrals by GP practice", "GP practice", practice)


def by_age(scope: Scope) -> Report:
    report = _counted(scope, "by_age", "Referrals by age band", "Age when referred", Referral.age_band,
                      order=list(AGE_BANDS))
    report.chart = (0, 1)
    return report


def by_need(scope: Scope) -> Report:
    low, high = bounds(scope.start, scope.end)
    where = [Need.received_at >= low, Need.received_at < high]
    if scope.team_ids is not None:
        where.append(Need.team_id.in_(scope.team_ids))
    rows = dict(db.session.execute(select(Need.code, func.count()).where(*where).group_by(Need.code)).tuples().all())
    report = Report("by_need", "Referrals by need", [Column("need", "Need", "label"), Column("referrals", "Referrals")],
                    note="A referral with several needs counts once under each, so there is no total.")
    report.rows = [[NEEDS[k][0] if k in NEEDS else k, n] for k, n in sorted(rows.items(), key=lambda kv: (-kv[1], kv[0]))]
    report.chart = (0, 1)
    return report


def caseload(scope: Scope) -> Report:
    """Cases open now, per link worker, and how many each took on and closed in the range."""
    low, high = bounds(scope.start, scope.end)
    open_now = func.sum(case((Referral.status != "closed", 1), else_=0))
    received = func.sum(case((and_(Referral.received_at >= low, Referral.received_at < high), 1), else_=0))
    closed = func.sum(case((and_(Referral.closed_at >= low, Referral.closed_at < high), 1), else_=0))
    stmt = (select(Referral.link_worker_id, User.display_name, open_now, received, closed)
            .outerjoin(User, User.id == Referral.link_worker_id)
            .where(or_(Referral.status != "closed", and_(Referral.closed_at >= low, Referral.closed_at < high),
                       and_(Referral.received_at >= low, Referral.received_at < high)))
            .group_by(Referral.link_worker_id, User.display_name))
    if scope.team_ids is not None:
        stmt = stmt.where(Referral.team_id.in_(scope.team_ids))
    report = Report("caseload", "Caseload per link worker",
                    [Column("link_worker", "Link worker", "label"), Column("open", "Open now"),
                     Column("received", "Referred in the range"), Column("closed", "Closed in the range")],
                    note="Open now: whatever the range. Referred and closed: in the range.")
    rows = sorted(db.session.execute(stmt).all(), key=lambda r: (r[0] is None, r[1] or ""))
    report.rows = [[name or "Not assigned yet", int(o or 0), int(r or 0), int(c or 0)] for _, name, o, r, c in rows]
    report.total = ["Total"] + [sum(r[i] for r in report.rows) for i in (1, 2, 3)]
    return report


def _percentile(histogram: list[tuple[float, int]], p: float) -> float | None:
    """The ``p`` percentile of values given as (value, how many), sorted by value: linear
    interpolation between the closest ranks, as PostgreSQL's percentile_cont."""
    n = sum(count for _, count in histogram)
    if not n:
        return None
    at = p * (n - 1)
    low_rank, high_rank = int(at), min(int(at) + 1, n - 1)
    low = high = None
    seen = 0
    for value, count in histogram:
        if low is None and low_rank < seen + count:
            low = value
        if high_rank < seen + count:
            high = value
            break
        seen += count
    return low + (high - low) * (at - low_rank)


def waiting(scope: Scope) -> Report:
    """Days from a referral arriving to the first contact that reached the person. The days are
    counted into a histogram by the database (a few hundred rows however many referrals) and its
    percentiles worked out here: the same on both engines, and cheaper than sorting every wait."""
    days = _days_between(Referral.received_at, Referral.first_contact_at)
    histogram = [(float(d), int(n)) for d, n in db.session.execute(
        select(days, func.count()).where(_in_scope(scope), Referral.first_contact_at.is_not(None))
        .group_by(days).order_by(days))]
    waiting_now = db.session.scalar(select(func.count()).where(
        _in_scope(scope), Referral.first_contact_at.is_(None), Referral.status != "closed"))
    count = sum(n for _, n in histogram)
    median, p90 = _percentile(histogram, 0.5), _percentile(histogram, 0.9)
    report = Report("waiting", "Waiting time from referral to first contact",
                    [Column("contacted", "Referrals contacted"),
                     Column("median_days", "Median (days)", "figure", base="contacted"),
                     Column("p90_days", "90th percentile (days)", "figure", base="contacted"),
                     Column("waiting_now", "Not contacted yet (still open)")],
                    note="Whole days from the day a referral arrived to the day of the first contact that "
                         "reached the person. The 90th percentile: nine in ten waited this long or less.")
    report.rows = [[count, _round(median), _round(p90), int(waiting_now or 0)]]
    return report


def _round(value, places: int = 1):
    return None if value is None else round(float(value), places)


def onward(scope: Scope) -> Report:
    """Referrals and signposts to each service, sent in the range, by what became of them."""
    s = OnwardReferral.status
    counts = {k: func.sum(case((cond, 1), else_=0)) for k, cond in (
        ("signposted", s == "signposted"),
        ("sent", OnwardReferral.kind == "referral"),
        ("waiting", s == "sent"),
        ("accepted", s.in_(("accepted", "attended", "did_not_attend"))),
        ("declined", s == "declined"), ("expired", s == "expired"),
        ("attended", s == "attended"), ("did_not_attend", s == "did_not_attend"))}
    low, high = bounds(scope.start, scope.end)
    stmt = (select(OnwardReferral.service_id, func.max(OnwardReferral.service_name), *counts.values())
            .where(OnwardReferral.sent_at >= low, OnwardReferral.sent_at < high)
            .group_by(OnwardReferral.service_id))
    if scope.team_ids is not None:  # (every team: no need to read the referrals at all)
        stmt = stmt.join(Referral, Referral.id == OnwardReferral.referral_id).where(
            Referral.team_id.in_(scope.team_ids))
    report = Report("onward", "Onward referrals per service",
                    [Column("service", "Service", "label"), Column("signposted", "Signposted"),
                     Column("referred", "Referred"), Column("waiting", "Waiting for an answer"),
                     Column("accepted", "Accepted"), Column("declined", "Declined"), Column("expired", "Expired"),
                     Column("acceptance_rate", "Acceptance rate (%)", "figure", base="answered"),
                     Column("attended", "Attended"), Column("did_not_attend", "Did not attend"),
                     Column("attendance_rate", "Attendance rate (%)", "figure", base="attendance_known")],
                    note="Acceptance rate: accepted out of those answered or expired. Attendance rate: attended "
                         "out of those whose attendance is known. Counted by the day each was sent.",
                    row_sums=[("referred", ["waiting", "accepted", "declined", "expired"])])
    rows = []
    for _, name, signposted, sent, waiting_, accepted, declined, expired, attended, dna in db.session.execute(stmt):
        signposted, sent, waiting_, accepted, declined, expired, attended, dna = (
            int(v or 0) for v in (signposted, sent, waiting_, accepted, declined, expired, attended, dna))
        answered = accepted + declined + expired
        known = attended + dna
        rows.append([name, signposted, sent, waiting_, accepted, declined, expired,
                     _round(100 * accepted / answered) if answered else None, attended, dna,
                     _round(100 * attended / known) if known else None, answered, known])
    rows.sort(key=lambda r: (-(r[1] + r[2]), r[0]))
    report.rows = rows
    return report


def outcomes(scope: Scope) -> Report:
    """Start vs end of support, for referrals in the range with both: for each ONS4 question and
    the SWEMWBS metric score, how many, the mean change and how many improved meaningfully.
    A referral's start is its first "start" taking of a measure, its end its last "end" taking
    (kept in ``sp_outcome`` as they are recorded)."""
    o = Outcome
    low, high = bounds(scope.start, scope.end)
    where = [o.received_at >= low, o.received_at < high, o.start_on.is_not(None), o.end_on.is_not(None)]
    if scope.team_ids is not None:
        where.append(o.team_id.in_(scope.team_ids))
    measures = []  # (label, tool, change, improved)
    for q, label in ONS4_SHORT.items():
        change = getattr(o, f"end_{q}") - getattr(o, f"start_{q}")
        better = getattr(o, f"start_{q}") - getattr(o, f"end_{q}") if q == "anxious" else change
        measures.append((f"ONS4: {label}", "ons4", change, better >= ONS4_MEANINGFUL))
    change = o.end_swemwbs_metric - o.start_swemwbs_metric
    measures.append(("SWEMWBS: metric score", "swemwbs", change, change >= SWEMWBS_MEANINGFUL - 1e-9))
    columns = [o.tool, func.count()]
    for _, _, change, improved in measures:
        columns += [func.avg(change), func.sum(case((improved, 1), else_=0))]
    found = {row[0]: row[1:] for row in db.session.execute(select(*columns).where(*where).group_by(o.tool))}
    report = Report("outcomes", "Outcome change from the start to the end of support",
                    [Column("measure", "Measure", "label"), Column("people", "People with a start and an end"),
                     Column("mean_change", "Mean change", "figure", base="people"),
                     Column("improved", "Improved meaningfully"),
                     Column("improved_share", "Improved meaningfully (%)", "figure", base="people")],
                    note=f"ONS4: each question on its own (never summed); improving means {ONS4_MEANINGFUL} point or "
                         "more the good way (for anxiety, lower). SWEMWBS: the metric score; improving meaningfully "
                         f"means {SWEMWBS_MEANINGFUL:g} points or more.")
    for i, (label, tool, _, _) in enumerate(measures):
        row = found.get(tool)
        n = int(row[0]) if row else 0
        mean, better = (row[1 + 2 * i], int(row[2 + 2 * i] or 0)) if row else (None, 0)
        report.rows.append([label, n, _round(mean, 2) if n else None, better, _round(100 * better / n) if n else None])
    return report


def unmet(scope: Scope) -> Report:
    """Needs that found no service, by local authority: marked "no service found" by the link
    worker, or on a closed case where nothing was found at all (no signpost, and every referral
    declined or expired). No personal data: counts only."""
    low, high = bounds(scope.start, scope.end)
    in_range = [Need.received_at >= low, Need.received_at < high]
    if scope.team_ids is not None:
        in_range.append(Need.team_id.in_(scope.team_ids))
    # Each need keeps whether it found no service (marked unmet, or its case closed with nothing
    # found, kept as answers come in) and its referral's area: one table, one partial index.
    # (Joining the referrals for these took 380-620 ms of a commissioner's every year.)
    found = db.session.execute(select(Need.lad_code, Need.code, func.count())
                               .where(*in_range, Need.no_service.is_(True)).group_by(Need.lad_code, Need.code)).all()
    names = dict(db.session.execute(select(LocalAuthority.lad_code, LocalAuthority.name).where(
        LocalAuthority.lad_code.in_({lad for lad, _, _ in found if lad}))).tuples().all())
    counts: dict[tuple[str, str], int] = {}
    for lad, code, n in found:
        key = (names.get(lad) or "Area not known", code)
        counts[key] = counts.get(key, 0) + n
    rows = [(a, c, n) for (a, c), n in counts.items()]
    report = Report("unmet", "Unmet needs by area",
                    [Column("area", "Local authority", "label"), Column("need", "Need", "label"),
                     Column("referrals", "Referrals")],
                    note="A need counts as unmet when the link worker marked it \"no service found\", or the case "
                         "closed with no service found at all (nothing signposted, every referral declined or "
                         "expired).")
    report.rows = sorted(([a, NEEDS[c][0] if c in NEEDS else c, n] for a, c, n in rows),
                         key=lambda r: (r[0], -r[2], r[1]))
    return report


REPORTS = {
    "by_month": by_month, "by_source": by_source, "by_practice": by_practice, "by_need": by_need,
    "by_age": by_age, "caseload": caseload, "waiting": waiting, "onward": onward, "outcomes": outcomes,
    "unmet": unmet,
}
TITLES = {
    "by_month": "Referrals by month", "by_source": "Referrals by source", "by_practice": "Referrals by GP practice",
    "by_need": "Referrals by need", "by_age": "Referrals by age band", "caseload": "Caseload per link worker",
    "waiting": "Waiting time to first contact", "onward": "Onward referrals per service",
    "outcomes": "Outcome change", "unmet": "Unmet needs by area",
}


def report(actor, name: str, team_id: str | None = None, start: date | None = None,
           end: date | None = None) -> tuple[Report, Scope]:
    """One report for a reader, suppressed for commissioners. NotFound for an unknown name."""
    if name not in REPORTS:
        raise NotFound(f"There is no report called {name!r}: choose one of {', '.join(REPORTS)}.")
    scope = scope_for(actor, team_id, start, end)
    result = REPORTS[name](scope)
    if scope.suppressed:
        suppress(result)
    _drop_helpers(result)
    return result, scope


def _drop_helpers(report: Report) -> None:
    """Counts a figure was based on but the table does not show (onward's answered, known)."""
    width = len(report.columns)
    report.rows = [row[:width] for row in report.rows]


# ------------------------------------------------------------------ small numbers

def _small(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < SMALL


HIDDEN = (FEWER_THAN_5, WITHHELD)


def _withhold_smallest(cells: list[tuple[list, int]]) -> bool:
    """Withhold the smallest count shown among ``cells`` ((row, index) pairs); False if none is."""
    shown = [(row, i) for row, i in cells if isinstance(row[i], int) and not isinstance(row[i], bool) and row[i] > 0]
    if not shown:
        return False
    row, i = min(shown, key=lambda cell: cell[0][cell[1]])
    row[i] = WITHHELD
    return True


def suppress(report: Report) -> None:
    """Small numbers, as NHS statistics publish them: a count of 1 to 4 becomes "fewer than 5"
    (0 is shown); a figure (median, mean, rate, share) based on fewer than 5, or in a row where a
    count is hidden, is withheld; and where a total is shown (the totals row, or a row's count
    that its parts add up to) and exactly one of its parts is hidden, the smallest other is
    withheld too, so that no subtraction gives a hidden count away."""
    index = {c.key: i for i, c in enumerate(report.columns)}
    extra = {"answered": len(report.columns), "attendance_known": len(report.columns) + 1}
    counts = [i for i, c in enumerate(report.columns) if c.kind == "count"]
    for row in report.rows:
        for i, col in enumerate(report.columns):
            if col.kind == "figure" and col.base is not None:
                base = row[index.get(col.base, extra.get(col.base, -1))]
                if isinstance(base, int) and base < SMALL and row[i] is not None:
                    row[i] = FEWER_THAN_5 if base else None
        for i in counts:
            if _small(row[i]):
                row[i] = FEWER_THAN_5
    if report.total is not None:
        for i in counts:
            if _small(report.total[i]):
                report.total[i] = FEWER_THAN_5
    changed = True
    while changed:  # withholding one cell can leave another total with a single hidden part
        changed = False
        if report.total is not None:
            for i in counts:
                if report.total[i] not in HIDDEN and sum(row[i] in HIDDEN for row in report.rows) == 1:
                    changed |= _withhold_smallest([(row, i) for row in report.rows if row[i] not in HIDDEN])
        for total_key, parts in report.row_sums:
            t, ps = index[total_key], [index[p] for p in parts]
            for row in report.rows:
                if row[t] not in HIDDEN and sum(row[p] in HIDDEN for p in ps) == 1:
                    changed |= _withhold_smallest([(row, p) for p in ps if row[p] not in HIDDEN])
    for row in report.rows:
        if any(row[i] in HIDDEN for i in counts):
            for i, col in enumerate(report.columns):
                if col.kind == "figure" and row[i] is not None and row[i] not in HIDDEN:
                    row[i] = WITHHELD


# ------------------------------------------------------------------ for curators

def directory_gaps(actor, start: date | None = None, end: date | None = None) -> list[list]:
    """Unmet needs by local authority for the curators' dashboard: where the directory may be
    missing a listing. Every team, the last twelve months, counts only and small ones suppressed:
    [local authority, need label, directory category, referrals or "fewer than 5"]."""
    require_role(actor, "curator", action="see gaps in the directory")
    start, end = settle_range(start, end)
    result = unmet(Scope(None, start, end, suppressed=True))
    suppress(result)
    labels = {label: category for label, category in NEEDS.values()}
    return [[area, need, labels.get(need, ""), n] for area, need, n in result.rows]

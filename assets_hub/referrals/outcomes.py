"""Outcomes: the measures taken with a person (ONS4, SWEMWBS) and what they show, needs that
found no service, and the code the GP record needs when a case closes. DOMAIN.md section 4.

Which measures an installation uses is its choice (``OUTCOME_MEASURES``, default ``ons4``):
SWEMWBS needs a free licence from its owners before it is switched on. Measures recorded while
one was on stay on the record and in reports when it is switched off."""
from __future__ import annotations

from dataclasses import dataclass, field

import flask
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from assets_hub.db import aware, db
from assets_hub.errors import Invalid
from assets_hub.referrals.models import Measure, Need, Outcome
from assets_hub.referrals.schemas import MeasureSchema
from assets_hub.referrals.services import _event, _working
from assets_hub.referrals.vocab import (MEASURES, NEEDS, ONS4_QUESTIONS, ONS4_SHORT, STAGES, SWEMWBS_MAYBE, SWEMWBS_MEANINGFUL, ons4_better,
                                        swemwbs_metric)
from assets_hub.roles import actor_label


def enabled_measures() -> list[str]:
    wanted = flask.current_app.config.get("OUTCOME_MEASURES", "ons4")
    return [m for m in (w.strip() for w in str(wanted).split(",")) if m in MEASURES]


def record_measure(actor, referral_id: str, values: dict) -> Measure:
    """Record a measure taken with the person (start, during or end of support)."""
    data = MeasureSchema().load(values)
    if data["tool"] not in enabled_measures():
        msg = f"{MEASURES[data['tool']]} is not used here (an administrator can switch it on)."
        raise Invalid(msg, {"tool": [msg]})
    referral = _working(actor, referral_id, f"outcome measure ({data['tool']})")
    measure = Measure(referral_id=referral.id, tool=data["tool"], stage=data["stage"], taken_on=data["taken_on"],
                      by=actor_label(actor))
    if data["tool"] == "ons4":
        for q in ONS4_QUESTIONS:
            setattr(measure, q, data[q])
    else:
        items = [data[f"item{i}"] for i in range(1, 8)]
        measure.swemwbs_items = ",".join(map(str, items))
        measure.swemwbs_raw = sum(items)
        measure.swemwbs_metric = swemwbs_metric(measure.swemwbs_raw)
    db.session.add(measure)
    db.session.flush()
    _keep_pair(referral, measure)
    _event(referral, actor, "measure", f"{MEASURES[data['tool']]} recorded ({STAGES[data['stage']].lower()}).")
    db.session.flush()
    return measure


SCORES = ("life_satisfaction", "worthwhile", "happy", "anxious", "swemwbs_metric")


def _keep_pair(referral, measure: Measure) -> None:
    """Keep the referral's start and end of this measure (``sp_outcome``) up to date: the first
    "start" taking and the last "end" taking. Its row is locked first, so two takings recorded at
    once for one person are applied one after the other."""
    if measure.stage not in ("start", "end"):
        return
    key = {"referral_id": referral.id, "tool": measure.tool}
    new = (pg_insert if db.is_postgres else sqlite_insert)(Outcome).values(
        **key, team_id=referral.team_id, received_at=referral.received_at).on_conflict_do_nothing()
    db.session.execute(new)
    lock = select(Outcome).filter_by(**key).execution_options(populate_existing=True)
    pair = db.session.scalar(lock.with_for_update() if db.is_postgres else lock)
    when = measure.stage
    mine = (measure.taken_on, aware(measure.created_at))
    held_on, held_at = getattr(pair, f"{when}_on"), getattr(pair, f"{when}_at")
    if held_on is not None:
        held = (held_on, aware(held_at))
        if (when == "start" and mine >= held) or (when == "end" and mine < held):
            return
    setattr(pair, f"{when}_on", measure.taken_on)
    setattr(pair, f"{when}_at", measure.created_at)
    for score in SCORES:
        setattr(pair, f"{when}_{score}", getattr(measure, score))


@dataclass
class Series:
    """One measure over time, as the record shows it: each taking's figures, and start vs end."""
    tool: str
    takings: list[Measure] = field(default_factory=list)

    @property
    def start(self) -> Measure | None:
        """The first "start" taking, as the outcome report counts it (a "during" is not a start)."""
        starts = [m for m in self.takings if m.stage == "start"]
        return starts[0] if starts else None

    @property
    def end(self) -> Measure | None:
        ends = [m for m in self.takings if m.stage == "end"]
        return ends[-1] if ends else None

    def changes(self) -> list[tuple[str, float, str]]:
        """(what, change from start to end, what it means), or [] until there is an end."""
        if self.start is None or self.end is None:
            return []
        if self.tool == "swemwbs":
            change = round(self.end.swemwbs_metric - self.start.swemwbs_metric, 2)
            return [("SWEMWBS metric score", change, swemwbs_meaning(change))]
        out = []
        for q, label in ONS4_SHORT.items():
            change = getattr(self.end, q) - getattr(self.start, q)
            meaning = "no change" if change == 0 else ("better" if ons4_better(q, change) else "worse")
            out.append((label, change, meaning))
        return out


def swemwbs_meaning(change: float) -> str:
    size = abs(change)
    way = "improvement" if change > 0 else "fall"
    if size >= SWEMWBS_MEANINGFUL:
        return f"meaningful {way}"
    if size >= SWEMWBS_MAYBE:
        return f"may be a meaningful {way} (1 to 3 points)"
    return "no meaningful change"


def series_for(referral_id: str) -> list[Series]:
    takings = db.session.scalars(select(Measure).where(Measure.referral_id == referral_id)
                                 .order_by(Measure.taken_on, Measure.created_at)).all()
    out: dict[str, Series] = {}
    for m in takings:
        out.setdefault(m.tool, Series(m.tool)).takings.append(m)
    return list(out.values())


def mark_unmet(actor, referral_id: str, need_id: str, unmet: bool) -> Need:
    """The link worker found no service for a need (or, after all, did): gaps in the directory."""
    referral = _working(actor, referral_id, "need marked unmet" if unmet else "need marked met")
    need = next((n for n in referral.needs if n.id == need_id), None)
    if need is None:
        raise Invalid("That need is not recorded for this person.", {"need": ["Not recorded here."]})
    need.unmet = bool(unmet)
    need.no_service = need.unmet or bool(referral.nothing_found)
    label = NEEDS[need.code][0]
    _event(referral, actor, "need", f"No service found for: {label}." if unmet else f"A service was found for: {label}.")
    db.session.flush()
    return need

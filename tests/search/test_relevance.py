"""The relevance set: what link workers and citizens type, and what must come up in the top 3.

Runs on both engines (the PostgreSQL pass and the SQLite/Whoosh pass of make test).
"""
import pytest

from search import run_search
from search.query import SearchQuery

CASES = [
    # (what, where, must be in the top 3)
    ("lonely", "SK4 2", "Heatons Befriending Circle"),
    ("befriending", "SK4 2", "Heatons Befriending Circle"),
    ("befriending", "EH6", "Leith Lunch and Befriending Club"),
    ("isolated", "SK4", "Heatons Befriending Circle"),
    ("friends", "EH6", "Leith Lunch and Befriending Club"),
    ("elderly", "EH6", "Leith Lunch and Befriending Club"),
    ("lunch club", "EH6 6AA", "Leith Lunch and Befriending Club"),
    ("debt", "SK1 3XE", "Debt and Money Advice Service"),
    ("bills", "Stockport", "Debt and Money Advice Service"),
    ("benefits", "SK1", "Debt and Money Advice Service"),
    ("energy", "SK1", "Debt and Money Advice Service"),
    ("debt", "EH1", "Money Matters Advice Line"),
    ("money", "EH1 2NG", "Money Matters Advice Line"),
    ("low mood", "EH11", "Fountainbridge Talking Space"),
    ("anxiety", "EH11 1AA", "Fountainbridge Talking Space"),
    ("counselling", "Edinburgh", "Fountainbridge Talking Space"),
    ("peer support", "EH11", "Fountainbridge Talking Space"),
    ("stress", "EH16 4AA", "Portobello Mindful Walks"),
    ("mindfulness", "EH16", "Portobello Mindful Walks"),
    ("walk", "EH16", "Portobello Mindful Walks"),
    ("carer", "SK2", "Stockport Carers' Support Hub"),
    ("carers", "EH3", "Edinburgh Carers' Breaks"),
    ("food bank", "SK1", "Brinnington Community Food Bank"),
    ("hungry", "SK1 3XE", "Brinnington Community Food Bank"),
    ("free food bank saturday", "SK1", "Brinnington Community Food Bank"),
    ("pantry", "SK2 6AA", "Manor Community Pantry"),
    ("walking group", "SK5", "Reddish Vale Walking Group"),
    ("exercise", "SK5 7AA", "Reddish Vale Walking Group"),
    ("mens shed", "SK3", "Edgeley Men's Shed"),
    ("men's shed", "Stockport", "Edgeley Men's Shed"),
    ("woodwork", "Stockport", "Edgeley Men's Shed"),
    ("time bank", "SK1", "Stockport Time Bank"),
    ("volunteer", "SK4", "Stockport Time Bank"),
    ("library", "SK1 3XE", "Stockport Central Library"),
    ("library", "B1 2ND", "Library of Birmingham"),
    ("computer", "SK1 3XE", "Stockport Central Library"),
    ("mobile library", "TA22 9NU", "Somerset mobile library, route A"),
    ("befreinding", "SK4", "Heatons Befriending Circle"),        # typo
    ("libary", "SK1 3XE", "Stockport Central Library"),           # typo
    ("depression", "", "Online Mood Peer Support"),               # words only
    ("loneliness helpline", "", "Friendly Voices Loneliness Helpline"),
    ("Stockport Central", "", "Stockport Central Library"),
    ("", "SK4 4AA", "Heatons Befriending Circle"),                # place only: nearby and covering
]


def _names(what, where, **kw):
    outcome = run_search(SearchQuery(what=what, where=where, radius_km=10.0, **kw))
    return [h.name for h in outcome.hits]


@pytest.mark.parametrize("what, where, expected", CASES, ids=[f"{w or '-'}@{p or '-'}" for w, p, _ in CASES])
def test_expected_service_is_in_the_top_three(ctx, what, where, expected):
    top = _names(what, where)[:3]
    assert expected in top, top


def test_local_befriending_comes_before_the_national_helpline(ctx):
    names = _names("lonely", "SK4 2")
    assert names.index("Heatons Befriending Circle") < names.index("Friendly Voices Loneliness Helpline")


def test_relevance_set_is_at_least_forty_queries():
    assert len(CASES) >= 40

"""Our curated category tree: what link workers refer people to (DOMAIN.md section 2)."""
from __future__ import annotations

from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory.models import Taxonomy, TaxonomyTerm
from assets_hub.directory.services import OUR_TAXONOMY

TREE: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    ("social-connection", "Social connection and loneliness", "Company, friendship and belonging.", [
        ("befriending", "Befriending", "Regular visits or calls from a volunteer."),
        ("social-groups", "Social groups and clubs", "Groups that meet to share an interest or a cuppa."),
        ("mens-sheds", "Men's sheds", "Community workshops where people make, mend and talk."),
        ("time-banks", "Time banks", "Give an hour of help, get an hour back."),
    ]),
    ("mental-wellbeing", "Mental wellbeing", "Support for how people feel.", [
        ("talking-therapies", "Talking therapies", "Counselling and psychological therapies."),
        ("peer-support", "Peer support groups", "People with shared experience supporting each other."),
        ("mindfulness", "Mindfulness and relaxation", "Courses and sessions to manage stress."),
    ]),
    ("physical-activity", "Physical activity", "Getting active, at any level.", [
        ("walking-groups", "Walking groups", "Led walks for all abilities."),
        ("sport-exercise", "Sport and exercise", "Classes, clubs and gentle exercise."),
        ("gardening", "Gardening and green spaces", "Community gardens, allotments and conservation."),
    ]),
    ("food", "Food", "Food and eating well.", [
        ("food-banks", "Food banks and pantries", "Emergency food and low-cost pantries."),
        ("community-meals", "Community meals and cafés", "Shared meals and lunch clubs."),
        ("cooking-skills", "Cooking skills", "Learning to cook on a budget."),
    ]),
    ("money", "Money and debt", "Help with money worries.", [
        ("debt-advice", "Debt advice", "Free, confidential debt advice."),
        ("benefits-advice", "Benefits advice", "Checking and claiming entitlements."),
        ("energy-bills", "Energy and bills", "Help with fuel and household bills."),
    ]),
    ("housing", "Housing", "A safe, warm home.", [
        ("housing-advice", "Housing advice", "Tenancy, homelessness and repairs advice."),
        ("warm-spaces", "Warm spaces", "Free, welcoming places to keep warm."),
    ]),
    ("carers", "Carers", "Support for people who look after someone.", [
        ("carers-support", "Carers' support", "Advice, breaks and groups for unpaid carers."),
    ]),
    ("arts-culture", "Arts and culture", "Creativity, music, heritage.", [
        ("creative-groups", "Creative groups", "Art, craft, writing and music groups."),
        ("museums-heritage", "Museums and heritage", "Museums, galleries and local history."),
    ]),
    ("learning", "Learning and skills", "Learning at any age.", [
        ("libraries", "Libraries", "Public libraries: books, computers, groups and information."),
        ("digital-skills", "Digital skills", "Help to get online and use devices."),
        ("adult-learning", "Adult learning", "Courses for adults, from English to qualifications."),
    ]),
    ("volunteering", "Volunteering", "Giving time to others.", [
        ("volunteer-centres", "Volunteer centres", "Finding a volunteering role."),
    ]),
    ("advice", "Advice and advocacy", "Information, advice and someone on your side.", [
        ("general-advice", "General advice", "Advice on rights, work, consumer and legal problems."),
        ("advocacy", "Advocacy", "Independent advocates who help people be heard."),
    ]),
    ("health-conditions", "Health conditions and peer support", "Living well with a condition.", [
        ("long-term-conditions", "Long-term conditions", "Groups and courses for living with a condition."),
        ("dementia", "Dementia support", "Support for people with dementia and their families."),
    ]),
    ("families", "Families and children", "Support for families.", [
        ("parent-groups", "Parent and toddler groups", "Groups for parents and young children."),
    ]),
    ("older-people", "Older people", "Services for people in later life.", [
        ("lunch-clubs", "Lunch clubs and day centres", "Company and a meal for older people."),
    ]),
]


def ensure_taxonomy() -> Taxonomy:
    """Create our taxonomy and its terms if missing (idempotent)."""
    session = db.session
    taxonomy = session.scalar(select(Taxonomy).where(Taxonomy.name == OUR_TAXONOMY))
    if taxonomy is None:
        taxonomy = Taxonomy(name=OUR_TAXONOMY, version="1",
                            description="Categories written for what link workers refer people to.")
        session.add(taxonomy)
        session.flush()
    existing = {t.code: t for t in session.scalars(select(TaxonomyTerm).where(
        TaxonomyTerm.taxonomy_id == taxonomy.id))}
    for code, name, description, children in TREE:
        root = existing.get(code)
        if root is None:
            root = TaxonomyTerm(taxonomy_id=taxonomy.id, code=code, name=name, description=description)
            session.add(root)
            session.flush()
            existing[code] = root
        for child_code, child_name, child_description in children:
            full = f"{code}/{child_code}"
            if full not in existing:
                term = TaxonomyTerm(taxonomy_id=taxonomy.id, code=full, name=child_name,
                                    description=child_description, parent_id=root.id)
                session.add(term)
                existing[full] = term
    session.flush()
    return taxonomy


def term_ids_by_code() -> dict[str, str]:
    taxonomy = ensure_taxonomy()
    return {t.code: t.id for t in db.session.scalars(select(TaxonomyTerm).where(
        TaxonomyTerm.taxonomy_id == taxonomy.id))}

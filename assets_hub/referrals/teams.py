"""Social prescribing teams and who is in them. Admins manage them (and the CLI)."""
from __future__ import annotations

from sqlalchemy import select

from assets_hub.accounts.models import User
from assets_hub.db import db
from assets_hub.errors import Conflict, Invalid, NotFound
from assets_hub.ids import is_uuid
from assets_hub.referrals.access import forget_memberships
from assets_hub.referrals.models import Team, TeamMember, TeamPractice
from assets_hub.referrals.schemas import ODS_CODE
from assets_hub.roles import require_role


def create_team(actor, name: str) -> Team:
    require_role(actor, "admin", action="manage teams")
    name = " ".join((name or "").split())
    if not name or len(name) > 200:
        raise Invalid("Enter the team's name (up to 200 characters).", {"name": ["Enter the team's name."]})
    if db.session.scalar(select(Team.id).where(Team.name == name)):
        raise Conflict(f"There is already a team called {name}.", {"name": ["That name is taken."]})
    team = Team(name=name)
    db.session.add(team)
    db.session.flush()
    return team


def get_team(team_id: str) -> Team:
    team = db.session.get(Team, team_id) if is_uuid(team_id or "") else None
    if team is None:
        raise NotFound("There is no such team.")
    return team


def add_member(actor, team_id: str, email: str, lead: bool = False) -> TeamMember:
    """Put a link worker in a team (again: updates whether they lead it)."""
    require_role(actor, "admin", action="manage teams")
    team = get_team(team_id)
    user = db.session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        raise Invalid(f"There is no account for {email}.", {"email": ["No account has this address."]})
    if user.role not in ("link_worker", "admin"):
        raise Invalid(f"{user.display_name} is a {user.role_label}: only link workers join a team "
                      "(change their role first).", {"email": ["Not a link worker."]})
    member = db.session.scalar(select(TeamMember).where(TeamMember.team_id == team.id,
                                                        TeamMember.user_id == user.id))
    if member is None:
        member = TeamMember(team_id=team.id, user_id=user.id, lead=lead)
        db.session.add(member)
    else:
        member.lead = lead
    db.session.flush()
    forget_memberships()
    return member


def remove_member(actor, team_id: str, user_id: str) -> None:
    require_role(actor, "admin", action="manage teams")
    member = db.session.scalar(select(TeamMember).where(TeamMember.team_id == team_id,
                                                        TeamMember.user_id == user_id))
    if member is None:
        raise NotFound("That person is not in this team.")
    db.session.delete(member)
    db.session.flush()
    forget_memberships()


def all_teams() -> list[Team]:
    """Every team, for the referral forms' choice of team (names are not personal data)."""
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def team_members(team_id: str) -> list[tuple[User, bool]]:
    return list(db.session.execute(select(User, TeamMember.lead).join(TeamMember, TeamMember.user_id == User.id)
                                   .where(TeamMember.team_id == team_id).order_by(User.display_name)).all())


# ------------------------------------------------------------------ the practices a team takes referrals from

def add_practice(actor, team_id: str, ods_code: str, name: str) -> TeamPractice:
    """Add a GP practice to the team's list (again: renames it). Once a team has a list, staff and
    software can refer to it only from those practices."""
    require_role(actor, "admin", action="manage teams")
    team = get_team(team_id)
    code = (ods_code or "").strip().upper()
    name = " ".join((name or "").split())
    errors = {}
    if not ODS_CODE.fullmatch(code):
        errors["ods_code"] = ["An ODS code is a letter and five digits, like P88001."]
    if not name or len(name) > 200:
        errors["practice_name"] = ["Enter the practice's name (up to 200 characters)."]
    if errors:
        raise Invalid("Check the practice's details.", errors)
    practice = db.session.scalar(select(TeamPractice).where(TeamPractice.team_id == team.id,
                                                            TeamPractice.ods_code == code))
    if practice is None:
        practice = TeamPractice(team_id=team.id, ods_code=code, name=name)
        db.session.add(practice)
    else:
        practice.name = name
    db.session.flush()
    return practice


def remove_practice(actor, team_id: str, ods_code: str) -> None:
    """Take a practice off the list. Referrals already received from it stay as they are."""
    require_role(actor, "admin", action="manage teams")
    practice = db.session.scalar(select(TeamPractice).where(TeamPractice.team_id == team_id,
                                                            TeamPractice.ods_code == (ods_code or "").upper()))
    if practice is None:
        raise NotFound("That practice is not on this team's list.")
    db.session.delete(practice)
    db.session.flush()


def team_practices(team_id: str) -> list[TeamPractice]:
    """A team's practices, by name (practice names and codes are public, not personal data)."""
    return list(db.session.scalars(select(TeamPractice).where(TeamPractice.team_id == team_id)
                                   .order_by(TeamPractice.name)))

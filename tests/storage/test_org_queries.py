"""`team_members` narrows by role in the database; the answer must be exactly the role holders."""

from storage.db import Database
from storage.models import Member, Membership, Team
from storage.org import team_members

PEOPLE = {  # email: (roles in the team, active)
    "agent@v.example": (["member"], True),
    "lead@v.example": (["member", "vendor_lead"], True),
    "liaison@v.example": (["liaison"], True),
    "both@v.example": (["liaison", "manager"], True),
    "gone@v.example": (["liaison"], False),
}


async def test_team_members_by_role(database_url: str) -> None:
    db = Database(database_url)
    await db.migrate()
    async with db.sessions.begin() as session:
        team = Team(key="care", name="Care", kind="vendor", timezone="UTC", locale="en")
        other = Team(key="other", name="Other", kind="internal", timezone="UTC", locale="en")
        session.add_all([team, other])
        for email, (roles, active) in PEOPLE.items():
            member = Member(email=email, name=email, active=active)
            member.memberships = [Membership(team=team, roles=roles), Membership(team=other, roles=["manager"])]
            session.add(member)
    async with db.sessions() as session:
        async def emails(*roles: str) -> list[str]:
            return [m.email for m, _ in await team_members(session, team.id, *roles)]

        assert await emails("liaison") == ["liaison@v.example", "both@v.example"]
        assert await emails("manager") == ["both@v.example"]
        assert await emails("vendor_lead", "manager") == ["lead@v.example", "both@v.example"]
        assert await emails("admin") == []
        assert len(await emails()) == 4
    await db.dispose()

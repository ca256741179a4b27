"""Every model module is imported here so that `Base.metadata` knows all tables (Alembic reads it)."""

from storage.models.base import Base
from storage.models.delivery import Delivery
from storage.models.ledger import HandledDelivery
from storage.models.org import ROLES, Member, Membership, Team

__all__ = ["ROLES", "Base", "Delivery", "HandledDelivery", "Member", "Membership", "Team"]

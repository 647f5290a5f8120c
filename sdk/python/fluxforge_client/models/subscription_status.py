from enum import StrEnum


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"
    SCHEDULED = "scheduled"

    def __str__(self) -> str:
        return str(self.value)

from enum import StrEnum


class AdminListTenantsStatusType2Type1(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"
    SUSPENDED = "suspended"

    def __str__(self) -> str:
        return str(self.value)

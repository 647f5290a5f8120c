from enum import StrEnum


class AdminListPlansStatusType2Type1(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"

    def __str__(self) -> str:
        return str(self.value)

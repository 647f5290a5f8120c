from enum import StrEnum


class SchedulerUpdateMode(StrEnum):
    DRAIN = "drain"
    FREEZE = "freeze"
    NORMAL = "normal"

    def __str__(self) -> str:
        return str(self.value)

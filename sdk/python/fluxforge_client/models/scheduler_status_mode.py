from enum import StrEnum


class SchedulerStatusMode(StrEnum):
    DRAIN = "drain"
    FREEZE = "freeze"
    NORMAL = "normal"

    def __str__(self) -> str:
        return str(self.value)

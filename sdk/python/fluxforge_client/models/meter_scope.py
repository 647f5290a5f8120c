from enum import StrEnum


class MeterScope(StrEnum):
    PLATFORM = "platform"
    TENANT = "tenant"

    def __str__(self) -> str:
        return str(self.value)

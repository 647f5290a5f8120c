from enum import StrEnum


class RejectionCode(StrEnum):
    BEFORE_OPEN_PERIOD = "before_open_period"
    INVALID = "invalid"
    IN_FUTURE = "in_future"
    PERIOD_CLOSED = "period_closed"
    RESERVED_TYPE = "reserved_type"

    def __str__(self) -> str:
        return str(self.value)

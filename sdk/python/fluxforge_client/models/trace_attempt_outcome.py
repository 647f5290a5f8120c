from enum import StrEnum


class TraceAttemptOutcome(StrEnum):
    FAILED = "failed"
    LOST = "lost"
    SUCCEEDED = "succeeded"

    def __str__(self) -> str:
        return str(self.value)

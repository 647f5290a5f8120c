from enum import StrEnum


class RunStepState(StrEnum):
    CANCELLED = "cancelled"
    FAILED = "failed"
    PENDING = "pending"
    RUNNING = "running"
    SKIPPED = "skipped"
    SUCCEEDED = "succeeded"
    WAITING_RETRY = "waiting_retry"

    def __str__(self) -> str:
        return str(self.value)

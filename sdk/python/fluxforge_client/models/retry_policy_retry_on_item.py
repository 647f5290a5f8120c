from enum import StrEnum


class RetryPolicyRetryOnItem(StrEnum):
    AGENT_UNAVAILABLE = "agent_unavailable"
    CIRCUIT_OPEN = "circuit_open"
    CONNECTION = "connection"
    EXECUTOR_ERROR = "executor_error"
    HTTP_429 = "http_429"
    HTTP_4XX = "http_4xx"
    HTTP_5XX = "http_5xx"
    INVALID_INPUT = "invalid_input"
    TIMEOUT = "timeout"

    def __str__(self) -> str:
        return str(self.value)

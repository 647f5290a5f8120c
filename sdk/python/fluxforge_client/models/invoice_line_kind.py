from enum import StrEnum


class InvoiceLineKind(StrEnum):
    FIXED_FEE = "fixed_fee"
    MINIMUM_COMMITMENT = "minimum_commitment"
    USAGE = "usage"

    def __str__(self) -> str:
        return str(self.value)

from enum import StrEnum


class ListInvoicesStatusType2Type1(StrEnum):
    DRAFT = "draft"
    FINALIZED = "finalized"
    PAID = "paid"
    PAYMENT_FAILED = "payment_failed"
    VOID = "void"

    def __str__(self) -> str:
        return str(self.value)

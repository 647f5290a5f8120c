"""The invoice lifecycle as a pure state machine: which action leads where, and what is refused.

    draft --finalize--> finalized --mark_paid--> paid
                            |  \\--mark_payment_failed--> payment_failed --mark_paid--> paid
                            \\--void--> void              payment_failed --void--> void

A draft has no number and may still be recomputed from its usage; finalization numbers it and
freezes it. Paid and void are final: a paid invoice is corrected with a credit note, never voided,
so money received always matches a document. Repeating an action that already happened (paying a
paid invoice, a second `invoice.paid` webhook) changes nothing instead of failing, because
payment providers deliver such events more than once. Everything else is illegal (HTTP 409).
"""

from __future__ import annotations

from typing import Literal

from fluxforge.billing.invoices.models import InvoiceStatus
from fluxforge.errors import Conflict

Action = Literal["finalize", "mark_paid", "mark_payment_failed", "void"]

TRANSITIONS: dict[tuple[InvoiceStatus, Action], InvoiceStatus] = {
    ("draft", "finalize"): "finalized",
    ("finalized", "mark_paid"): "paid",
    ("finalized", "mark_payment_failed"): "payment_failed",
    ("finalized", "void"): "void",
    ("payment_failed", "mark_paid"): "paid",
    ("payment_failed", "void"): "void",
}
ALREADY_DONE: frozenset[tuple[InvoiceStatus, Action]] = frozenset(
    {
        ("finalized", "finalize"),
        ("paid", "mark_paid"),
        ("payment_failed", "mark_payment_failed"),
        ("void", "void"),
    }
)
CREDITABLE: frozenset[InvoiceStatus] = frozenset({"finalized", "payment_failed", "paid"})
"""A credit note needs an issued invoice that still stands: not a draft, not a void one."""
EXPORTABLE: frozenset[InvoiceStatus] = frozenset({"finalized", "payment_failed", "paid"})


class InvalidTransition(Conflict):
    kind = "invalid-invoice-transition"


class NothingToCredit(Conflict):
    kind = "credit-exceeds-invoice"


class IllegalTransition(ValueError):
    def __init__(self, status: InvoiceStatus, action: Action) -> None:
        super().__init__(f"an invoice that is {status} cannot {action.replace('_', ' ')}")
        self.status = status
        self.action = action


def next_status(status: InvoiceStatus, action: Action) -> tuple[InvoiceStatus, bool]:
    """The status after `action` and whether anything changed; raises IllegalTransition."""
    if (status, action) in ALREADY_DONE:
        return status, False
    target = TRANSITIONS.get((status, action))
    if target is None:
        raise IllegalTransition(status, action)
    return target, True


def creditable_amount(status: InvoiceStatus, total: int, credited: int) -> int:
    """What may still be credited: nothing unless the invoice is issued and not void."""
    return max(total - credited, 0) if status in CREDITABLE else 0

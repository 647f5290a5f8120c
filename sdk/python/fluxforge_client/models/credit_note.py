from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="CreditNote")


@_attrs_define
class CreditNote:
    """
    Attributes:
        amount (int):
        currency (str):
        id (UUID):
        invoice_id (UUID):
        issued_at (datetime.datetime):
        issuer_name (str):
        number (str):
        reason (str):
    """

    amount: int
    currency: str
    id: UUID
    invoice_id: UUID
    issued_at: datetime.datetime
    issuer_name: str
    number: str
    reason: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        currency = self.currency

        id = str(self.id)

        invoice_id = str(self.invoice_id)

        issued_at = self.issued_at.isoformat()

        issuer_name = self.issuer_name

        number = self.number

        reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "amount": amount,
                "currency": currency,
                "id": id,
                "invoice_id": invoice_id,
                "issued_at": issued_at,
                "issuer_name": issuer_name,
                "number": number,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        currency = d.pop("currency")

        id = UUID(d.pop("id"))

        invoice_id = UUID(d.pop("invoice_id"))

        issued_at = datetime.datetime.fromisoformat(d.pop("issued_at"))

        issuer_name = d.pop("issuer_name")

        number = d.pop("number")

        reason = d.pop("reason")

        credit_note = cls(
            amount=amount,
            currency=currency,
            id=id,
            invoice_id=invoice_id,
            issued_at=issued_at,
            issuer_name=issuer_name,
            number=number,
            reason=reason,
        )

        credit_note.additional_properties = d
        return credit_note

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

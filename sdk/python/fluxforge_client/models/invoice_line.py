from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.invoice_line_kind import InvoiceLineKind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.line_source import LineSource
    from ..models.tier_line import TierLine


T = TypeVar("T", bound="InvoiceLine")


@_attrs_define
class InvoiceLine:
    """
    Attributes:
        amount (int):
        billable_quantity (None | str):
        description (str):
        kind (InvoiceLineKind):
        meter_key (None | str):
        position (int):
        quantity (str):
        source (LineSource):
        tiers (list[TierLine]):
        unit_price (None | str):
        stripe_invoice_item_id (None | str | Unset):
    """

    amount: int
    billable_quantity: None | str
    description: str
    kind: InvoiceLineKind
    meter_key: None | str
    position: int
    quantity: str
    source: LineSource
    tiers: list[TierLine]
    unit_price: None | str
    stripe_invoice_item_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        billable_quantity: None | str
        billable_quantity = self.billable_quantity

        description = self.description

        kind = self.kind.value

        meter_key: None | str
        meter_key = self.meter_key

        position = self.position

        quantity = self.quantity

        source = self.source.to_dict()

        tiers = []
        for tiers_item_data in self.tiers:
            tiers_item = tiers_item_data.to_dict()
            tiers.append(tiers_item)

        unit_price: None | str
        unit_price = self.unit_price

        stripe_invoice_item_id: None | str | Unset
        if isinstance(self.stripe_invoice_item_id, Unset):
            stripe_invoice_item_id = UNSET
        else:
            stripe_invoice_item_id = self.stripe_invoice_item_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "amount": amount,
                "billable_quantity": billable_quantity,
                "description": description,
                "kind": kind,
                "meter_key": meter_key,
                "position": position,
                "quantity": quantity,
                "source": source,
                "tiers": tiers,
                "unit_price": unit_price,
            }
        )
        if stripe_invoice_item_id is not UNSET:
            field_dict["stripe_invoice_item_id"] = stripe_invoice_item_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.line_source import LineSource  # noqa: PLC0415
        from ..models.tier_line import TierLine  # noqa: PLC0415

        d = dict(src_dict)
        amount = d.pop("amount")

        def _parse_billable_quantity(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        billable_quantity = _parse_billable_quantity(d.pop("billable_quantity"))

        description = d.pop("description")

        kind = InvoiceLineKind(d.pop("kind"))

        def _parse_meter_key(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        meter_key = _parse_meter_key(d.pop("meter_key"))

        position = d.pop("position")

        quantity = d.pop("quantity")

        source = LineSource.from_dict(d.pop("source"))

        tiers = []
        _tiers = d.pop("tiers")
        for tiers_item_data in _tiers:
            tiers_item = TierLine.from_dict(tiers_item_data)

            tiers.append(tiers_item)

        def _parse_unit_price(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        unit_price = _parse_unit_price(d.pop("unit_price"))

        def _parse_stripe_invoice_item_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        stripe_invoice_item_id = _parse_stripe_invoice_item_id(d.pop("stripe_invoice_item_id", UNSET))

        invoice_line = cls(
            amount=amount,
            billable_quantity=billable_quantity,
            description=description,
            kind=kind,
            meter_key=meter_key,
            position=position,
            quantity=quantity,
            source=source,
            tiers=tiers,
            unit_price=unit_price,
            stripe_invoice_item_id=stripe_invoice_item_id,
        )

        invoice_line.additional_properties = d
        return invoice_line

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

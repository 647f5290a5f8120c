from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ReceiveStripeWebhookBodyDataObjectMetadata")


@_attrs_define
class ReceiveStripeWebhookBodyDataObjectMetadata:
    """
    Attributes:
        fluxforge_invoice_id (UUID | Unset): Set by the export; finds the invoice when the Stripe id was never stored.
    """

    fluxforge_invoice_id: UUID | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        fluxforge_invoice_id: str | Unset = UNSET
        if not isinstance(self.fluxforge_invoice_id, Unset):
            fluxforge_invoice_id = str(self.fluxforge_invoice_id)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if fluxforge_invoice_id is not UNSET:
            field_dict["fluxforge_invoice_id"] = fluxforge_invoice_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        _fluxforge_invoice_id = d.pop("fluxforge_invoice_id", UNSET)
        fluxforge_invoice_id: UUID | Unset
        if isinstance(_fluxforge_invoice_id, Unset):
            fluxforge_invoice_id = UNSET
        else:
            fluxforge_invoice_id = UUID(_fluxforge_invoice_id)

        receive_stripe_webhook_body_data_object_metadata = cls(
            fluxforge_invoice_id=fluxforge_invoice_id,
        )

        receive_stripe_webhook_body_data_object_metadata.additional_properties = d
        return receive_stripe_webhook_body_data_object_metadata

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

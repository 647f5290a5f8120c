from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.receive_stripe_webhook_body_data_object_metadata import ReceiveStripeWebhookBodyDataObjectMetadata


T = TypeVar("T", bound="ReceiveStripeWebhookBodyDataObject")


@_attrs_define
class ReceiveStripeWebhookBodyDataObject:
    """The Stripe invoice the event is about.

    Attributes:
        id (str | Unset): Stripe's id (in_...).
        metadata (ReceiveStripeWebhookBodyDataObjectMetadata | Unset):
    """

    id: str | Unset = UNSET
    metadata: ReceiveStripeWebhookBodyDataObjectMetadata | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        metadata: dict[str, Any] | Unset = UNSET
        if not isinstance(self.metadata, Unset):
            metadata = self.metadata.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if id is not UNSET:
            field_dict["id"] = id
        if metadata is not UNSET:
            field_dict["metadata"] = metadata

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.receive_stripe_webhook_body_data_object_metadata import ReceiveStripeWebhookBodyDataObjectMetadata  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id", UNSET)

        _metadata = d.pop("metadata", UNSET)
        metadata: ReceiveStripeWebhookBodyDataObjectMetadata | Unset
        if isinstance(_metadata, Unset):
            metadata = UNSET
        else:
            metadata = ReceiveStripeWebhookBodyDataObjectMetadata.from_dict(_metadata)

        receive_stripe_webhook_body_data_object = cls(
            id=id,
            metadata=metadata,
        )

        receive_stripe_webhook_body_data_object.additional_properties = d
        return receive_stripe_webhook_body_data_object

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

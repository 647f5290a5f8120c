from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.workflow_manifest import WorkflowManifest


T = TypeVar("T", bound="ValidationResult")


@_attrs_define
class ValidationResult:
    """
    Attributes:
        digest (str):
        manifest (WorkflowManifest):
        order (list[str]):
        valid (bool):
    """

    digest: str
    manifest: WorkflowManifest
    order: list[str]
    valid: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        digest = self.digest

        manifest = self.manifest.to_dict()

        order = self.order

        valid = self.valid

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "digest": digest,
                "manifest": manifest,
                "order": order,
                "valid": valid,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.workflow_manifest import WorkflowManifest  # noqa: PLC0415

        d = dict(src_dict)
        digest = d.pop("digest")

        manifest = WorkflowManifest.from_dict(d.pop("manifest"))

        order = cast(list[str], d.pop("order"))

        valid = d.pop("valid")

        validation_result = cls(
            digest=digest,
            manifest=manifest,
            order=order,
            valid=valid,
        )

        validation_result.additional_properties = d
        return validation_result

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

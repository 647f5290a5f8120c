from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.trace_difference import TraceDifference


T = TypeVar("T", bound="TraceDiff")


@_attrs_define
class TraceDiff:
    """
    Attributes:
        differences (list[TraceDifference]):
        identical (bool):
        left (UUID):
        right (UUID):
        workflow (str):
    """

    differences: list[TraceDifference]
    identical: bool
    left: UUID
    right: UUID
    workflow: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        differences = []
        for differences_item_data in self.differences:
            differences_item = differences_item_data.to_dict()
            differences.append(differences_item)

        identical = self.identical

        left = str(self.left)

        right = str(self.right)

        workflow = self.workflow

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "differences": differences,
                "identical": identical,
                "left": left,
                "right": right,
                "workflow": workflow,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.trace_difference import TraceDifference  # noqa: PLC0415

        d = dict(src_dict)
        differences = []
        _differences = d.pop("differences")
        for differences_item_data in _differences:
            differences_item = TraceDifference.from_dict(differences_item_data)

            differences.append(differences_item)

        identical = d.pop("identical")

        left = UUID(d.pop("left"))

        right = UUID(d.pop("right"))

        workflow = d.pop("workflow")

        trace_diff = cls(
            differences=differences,
            identical=identical,
            left=left,
            right=right,
            workflow=workflow,
        )

        trace_diff.additional_properties = d
        return trace_diff

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

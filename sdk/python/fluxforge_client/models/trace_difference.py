from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="TraceDifference")


@_attrs_define
class TraceDifference:
    """
    Attributes:
        attempt (int | None):
        field (str):
        left (Any):
        right (Any):
        step (None | str):
    """

    attempt: int | None
    field: str
    left: Any
    right: Any
    step: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempt: int | None
        attempt = self.attempt

        field = self.field

        left = self.left

        right = self.right

        step: None | str
        step = self.step

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempt": attempt,
                "field": field,
                "left": left,
                "right": right,
                "step": step,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_attempt(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        attempt = _parse_attempt(d.pop("attempt"))

        field = d.pop("field")

        left = d.pop("left")

        right = d.pop("right")

        def _parse_step(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        step = _parse_step(d.pop("step"))

        trace_difference = cls(
            attempt=attempt,
            field=field,
            left=left,
            right=right,
            step=step,
        )

        trace_difference.additional_properties = d
        return trace_difference

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

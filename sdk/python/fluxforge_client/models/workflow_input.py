from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.workflow_input_type import WorkflowInputType
from ..types import UNSET, Unset

T = TypeVar("T", bound="WorkflowInput")


@_attrs_define
class WorkflowInput:
    """
    Attributes:
        name (str): Referenced as `${{ inputs.<name> }}`.
        default (Any | Unset):
        description (None | str | Unset):
        required (bool | Unset):  Default: False.
        type_ (WorkflowInputType | Unset):  Default: WorkflowInputType.STRING.
    """

    name: str
    default: Any | Unset = UNSET
    description: None | str | Unset = UNSET
    required: bool | Unset = False
    type_: WorkflowInputType | Unset = WorkflowInputType.STRING
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        default = self.default

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        required = self.required

        type_: str | Unset = UNSET
        if not isinstance(self.type_, Unset):
            type_ = self.type_.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "name": name,
            }
        )
        if default is not UNSET:
            field_dict["default"] = default
        if description is not UNSET:
            field_dict["description"] = description
        if required is not UNSET:
            field_dict["required"] = required
        if type_ is not UNSET:
            field_dict["type"] = type_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        default = d.pop("default", UNSET)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        required = d.pop("required", UNSET)

        _type_ = d.pop("type", UNSET)
        type_: WorkflowInputType | Unset
        if isinstance(_type_, Unset):
            type_ = UNSET
        else:
            type_ = WorkflowInputType(_type_)

        workflow_input = cls(
            name=name,
            default=default,
            description=description,
            required=required,
            type_=type_,
        )

        workflow_input.additional_properties = d
        return workflow_input

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

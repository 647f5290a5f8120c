from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.retry_policy import RetryPolicy
    from ..models.workflow_step_with import WorkflowStepWith


T = TypeVar("T", bound="WorkflowStep")


@_attrs_define
class WorkflowStep:
    """
    Attributes:
        id (str): 1-63 characters: lowercase letters, digits, '_' and '-', starting with a letter. Referenced as `${{
            steps.<id>.outputs.<field> }}`.
        uses (str): The executor: `http`, `sleep`, `echo`, `emit`, or `agent:<name>` for a remote agent.
        description (None | str | Unset):
        needs (list[str] | Unset): Steps that must succeed first.
        retry (RetryPolicy | Unset):
        timeout_seconds (float | Unset): Longest one attempt may take (seconds). Default: 300.0.
        with_ (WorkflowStepWith | Unset): The executor's inputs. Strings may hold `${{ inputs.<name> }}` and `${{
            steps.<id>.outputs.<field> }}` (only of steps upstream through `needs`).
    """

    id: str
    uses: str
    description: None | str | Unset = UNSET
    needs: list[str] | Unset = UNSET
    retry: RetryPolicy | Unset = UNSET
    timeout_seconds: float | Unset = 300.0
    with_: WorkflowStepWith | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        uses = self.uses

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        needs: list[str] | Unset = UNSET
        if not isinstance(self.needs, Unset):
            needs = self.needs

        retry: dict[str, Any] | Unset = UNSET
        if not isinstance(self.retry, Unset):
            retry = self.retry.to_dict()

        timeout_seconds = self.timeout_seconds

        with_: dict[str, Any] | Unset = UNSET
        if not isinstance(self.with_, Unset):
            with_ = self.with_.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "uses": uses,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if needs is not UNSET:
            field_dict["needs"] = needs
        if retry is not UNSET:
            field_dict["retry"] = retry
        if timeout_seconds is not UNSET:
            field_dict["timeout_seconds"] = timeout_seconds
        if with_ is not UNSET:
            field_dict["with"] = with_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.retry_policy import RetryPolicy  # noqa: PLC0415
        from ..models.workflow_step_with import WorkflowStepWith  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        uses = d.pop("uses")

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        needs = cast(list[str], d.pop("needs", UNSET))

        _retry = d.pop("retry", UNSET)
        retry: RetryPolicy | Unset
        if isinstance(_retry, Unset):
            retry = UNSET
        else:
            retry = RetryPolicy.from_dict(_retry)

        timeout_seconds = d.pop("timeout_seconds", UNSET)

        _with_ = d.pop("with", UNSET)
        with_: WorkflowStepWith | Unset
        if isinstance(_with_, Unset):
            with_ = UNSET
        else:
            with_ = WorkflowStepWith.from_dict(_with_)

        workflow_step = cls(
            id=id,
            uses=uses,
            description=description,
            needs=needs,
            retry=retry,
            timeout_seconds=timeout_seconds,
            with_=with_,
        )

        workflow_step.additional_properties = d
        return workflow_step

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

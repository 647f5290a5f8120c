from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.run_trace_state import RunTraceState
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.run_trace_inputs import RunTraceInputs
    from ..models.run_trace_steps import RunTraceSteps
    from ..models.trace_attempt import TraceAttempt


T = TypeVar("T", bound="RunTrace")


@_attrs_define
class RunTrace:
    """
    Attributes:
        attempts (list[TraceAttempt]):
        inputs (RunTraceInputs):
        inputs_digest (str):
        plan (list[str]):
        run (UUID):
        skipped (list[str]):
        state (RunTraceState):
        steps (RunTraceSteps):
        workflow (str):
        workflow_id (UUID):
        workflow_version (int):
        result_digest (None | str | Unset):
    """

    attempts: list[TraceAttempt]
    inputs: RunTraceInputs
    inputs_digest: str
    plan: list[str]
    run: UUID
    skipped: list[str]
    state: RunTraceState
    steps: RunTraceSteps
    workflow: str
    workflow_id: UUID
    workflow_version: int
    result_digest: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempts = []
        for attempts_item_data in self.attempts:
            attempts_item = attempts_item_data.to_dict()
            attempts.append(attempts_item)

        inputs = self.inputs.to_dict()

        inputs_digest = self.inputs_digest

        plan = self.plan

        run = str(self.run)

        skipped = self.skipped

        state = self.state.value

        steps = self.steps.to_dict()

        workflow = self.workflow

        workflow_id = str(self.workflow_id)

        workflow_version = self.workflow_version

        result_digest: None | str | Unset
        if isinstance(self.result_digest, Unset):
            result_digest = UNSET
        else:
            result_digest = self.result_digest

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "inputs": inputs,
                "inputs_digest": inputs_digest,
                "plan": plan,
                "run": run,
                "skipped": skipped,
                "state": state,
                "steps": steps,
                "workflow": workflow,
                "workflow_id": workflow_id,
                "workflow_version": workflow_version,
            }
        )
        if result_digest is not UNSET:
            field_dict["result_digest"] = result_digest

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.run_trace_inputs import RunTraceInputs  # noqa: PLC0415
        from ..models.run_trace_steps import RunTraceSteps  # noqa: PLC0415
        from ..models.trace_attempt import TraceAttempt  # noqa: PLC0415

        d = dict(src_dict)
        attempts = []
        _attempts = d.pop("attempts")
        for attempts_item_data in _attempts:
            attempts_item = TraceAttempt.from_dict(attempts_item_data)

            attempts.append(attempts_item)

        inputs = RunTraceInputs.from_dict(d.pop("inputs"))

        inputs_digest = d.pop("inputs_digest")

        plan = cast(list[str], d.pop("plan"))

        run = UUID(d.pop("run"))

        skipped = cast(list[str], d.pop("skipped"))

        state = RunTraceState(d.pop("state"))

        steps = RunTraceSteps.from_dict(d.pop("steps"))

        workflow = d.pop("workflow")

        workflow_id = UUID(d.pop("workflow_id"))

        workflow_version = d.pop("workflow_version")

        def _parse_result_digest(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        result_digest = _parse_result_digest(d.pop("result_digest", UNSET))

        run_trace = cls(
            attempts=attempts,
            inputs=inputs,
            inputs_digest=inputs_digest,
            plan=plan,
            run=run,
            skipped=skipped,
            state=state,
            steps=steps,
            workflow=workflow,
            workflow_id=workflow_id,
            workflow_version=workflow_version,
            result_digest=result_digest,
        )

        run_trace.additional_properties = d
        return run_trace

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

"""Meter definitions (metering.definitions): refused when they cannot compute, versioned by change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fluxforge.errors import InvalidRequest
from fluxforge.metering import definitions
from fluxforge.metering.models import MeterCreate, MeterPatch
from tests.unit.metering_support import NOW, meter


@pytest.mark.parametrize(
    ("aggregation", "value_property", "group_by", "field"),
    [
        ("sum", None, [], "value_property"),
        ("count", "v", [], "value_property"),
        ("max", "v", ["a", "a"], "group_by"),
    ],
)
def test_meters_that_cannot_compute_are_refused(
    aggregation: Any, value_property: str | None, group_by: list[str], field: str
) -> None:
    data = MeterCreate(
        key="k1", event_type="e", aggregation=aggregation, value_property=value_property, group_by=group_by
    )
    with pytest.raises(InvalidRequest) as raised:
        definitions.check_definition(definitions.definition_of(data))
    assert raised.value.errors is not None
    assert raised.value.errors[0].field == field


patches = st.builds(
    MeterPatch,
    event_type=st.one_of(st.just(msgspec.UNSET), st.sampled_from(["llm.call", "other"])),
    unit=st.one_of(st.just(msgspec.UNSET), st.sampled_from(["tokens", "k"])),
    group_by=st.one_of(st.just(msgspec.UNSET), st.sampled_from([["model"], [], ["model", "region"]])),
    description=st.one_of(st.just(msgspec.UNSET), st.sampled_from(["", "x"])),
)


@given(patches)
def test_a_change_bumps_the_version_exactly_when_something_changes(patch: MeterPatch) -> None:
    current = meter()
    later = NOW + timedelta(minutes=5)
    changed = definitions.apply_definition(current, definitions.patched_definition(current, patch), later)
    differs = any(
        value is not msgspec.UNSET and getattr(current, name) != value
        for name, value in msgspec.structs.asdict(patch).items()
    )
    if differs:
        assert (changed.version, changed.updated_at) == (current.version + 1, later)
    else:
        assert changed is current
    assert (changed.id, changed.key, changed.scope) == (current.id, current.key, current.scope)


def test_switching_to_count_drops_the_property_and_back_needs_one() -> None:
    counted = definitions.patched_definition(meter(), MeterPatch(aggregation="count"))
    assert (counted.aggregation, counted.value_property) == ("count", None)
    with pytest.raises(InvalidRequest):
        definitions.patched_definition(meter(aggregation="count", value_property=None), MeterPatch(aggregation="max"))

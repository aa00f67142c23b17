"""Seed scenario 4: EventBridge-triggered container services return their result through destinations."""

from __future__ import annotations

import json

import pytest
from localrun_testing import TopologyUnderTest, drain, watch_bus

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
STACK = "EventBridgeServicesStack"


def _buses(topology: TopologyUnderTest) -> tuple[str, str]:
    names = [b["Name"] for b in topology.client("events").list_event_buses()["EventBuses"]]
    return topology.name_of(names, STACK, "SourceBus"), topology.name_of(names, STACK, "OutputBus")


@pytest.mark.parametrize(("service", "result_bus"), [("backtosource", "source"), ("toanother", "output")])
def test_event_reaches_the_service_and_its_result_the_destination_bus(
    local_topology: TopologyUnderTest, service: str, result_bus: str
) -> None:
    local_topology.require(STACK)
    # GIVEN catch-all watchers on both buses
    source_bus, output_bus = _buses(local_topology)
    pattern = {"source": ["lambda"], "detail": {"requestPayload": {"source": [service]}}}
    watchers = {
        "source": watch_bus(local_topology, source_bus, f"e2e-watch-src-{service}", pattern),
        "output": watch_bus(local_topology, output_bus, f"e2e-watch-out-{service}", pattern),
    }
    # WHEN an event with the service's name as source is put on the source bus
    entry = {
        "Source": service,
        "DetailType": "Demo",
        "Detail": json.dumps({"message": "Hello World"}),
        "EventBusName": source_bus,
    }
    assert local_topology.client("events").put_events(Entries=[entry])["FailedEntryCount"] == 0
    # THEN the success record arrives on the expected bus, in AWS's shape
    sqs = local_topology.client("sqs")
    [message] = drain(sqs, watchers[result_bus], want=1)
    event = json.loads(message["Body"])
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert event["source"] == "lambda"
    detail = event["detail"]
    assert detail["requestContext"]["condition"] == "Success"
    assert detail["requestContext"]["approximateInvokeCount"] == 1
    assert detail["requestPayload"]["source"] == service
    assert detail["requestPayload"]["detail"] == {"message": "Hello World"}
    assert detail["responsePayload"] is not None
    # AND nothing arrives on the other bus
    other = "output" if result_bus == "source" else "source"
    assert drain(sqs, watchers[other], want=1, timeout=3) == []

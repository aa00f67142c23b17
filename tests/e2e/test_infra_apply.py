"""Infra changes while running: save a stack with a new queue and a rule, and both appear without a restart.

Starts EventBridgeServicesStack with hot reload, adds a queue and a rule routing ``devloop-probe`` events to it in
``infra/stacks/eventbridge_services.py`` (restored afterwards), and checks from outside that the rule delivers to
the queue, that the runner process never restarted, and that a message already waiting elsewhere is still there.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from localrun.instance import free_port
from localrun.launch import LaunchSettings, spawn
from localrun_testing import TopologyUnderTest, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
STACK_FILE = REPO / "infra" / "stacks" / "eventbridge_services.py"
ANCHOR = '        CfnOutput(self, "SourceBusName", value=self.source_bus.event_bus_name)\n'
ADDITION = """        from aws_cdk import aws_events_targets as probe_targets
        from aws_cdk import aws_sqs as probe_sqs

        from infra.constructs.queues import DLQ_RETENTION, SOURCE_RETENTION, encrypted_queue

        probe_dlq = encrypted_queue(self, "DevloopProbeDlq", retention_period=DLQ_RETENTION)
        probe = encrypted_queue(
            self,
            "DevloopProbeQueue",
            retention_period=SOURCE_RETENTION,
            dead_letter_queue=probe_sqs.DeadLetterQueue(queue=probe_dlq, max_receive_count=3),
        )
        events.Rule(
            self,
            "DevloopProbeRule",
            event_bus=self.source_bus,
            event_pattern=events.EventPattern(source=["devloop-probe"]),
            targets=[probe_targets.SqsQueue(probe)],
        )
"""


@pytest.fixture
def stack_source() -> Iterator[str]:
    text = STACK_FILE.read_text()
    assert ANCHOR in text, "eventbridge_services.py changed shape: update this test"
    try:
        yield text
    finally:
        STACK_FILE.write_text(text)


def test_a_new_queue_and_rule_appear_without_a_restart(tmp_path: Path, stack_source: str) -> None:
    settings = LaunchSettings(
        cdk_out=tmp_path / "cdk.out",
        stacks=("EventBridgeServicesStack",),
        mode="process",
        time_scale=0.01,
        port=free_port(),
        api_port=free_port(),
        reload=True,
    )
    with spawn(settings, tmp_path / "localrun.log", ready_timeout_s=900) as running:
        outside = TopologyUnderTest(running.endpoint, running.api, ["EventBridgeServicesStack"], {}, running.log)
        sqs, events = outside.client("sqs"), outside.client("events")
        # GIVEN a message already waiting in an existing queue
        waiting = outside.queue_url("backtosource", "TargetDlq")
        sqs.send_message(QueueUrl=waiting, MessageBody="kept")
        bus = outside.name_of([b["Name"] for b in events.list_event_buses()["EventBuses"]], "SourceBus")
        # WHEN the stack gains a queue and a rule, and is saved
        STACK_FILE.write_text(stack_source.replace(ANCHOR, ADDITION + ANCHOR))
        applied = wait_for(lambda: [line for line in running.log if "infra " in line and "applied in" in line], 180)
        # THEN both exist, the rule delivers to the queue, and nothing restarted
        assert "queue added" in applied[0] and "rule added" in applied[0], applied
        probe_url = outside.queue_url("DevloopProbeQueue")
        marker = uuid.uuid4().hex
        events.put_events(
            Entries=[
                {
                    "Source": "devloop-probe",
                    "DetailType": "Probe",
                    "Detail": json.dumps({"m": marker}),
                    "EventBusName": bus,
                }
            ]
        )
        deadline, bodies = time.monotonic() + 30, []
        while time.monotonic() < deadline and not bodies:
            bodies = [
                json.loads(m["Body"])
                for m in sqs.receive_message(QueueUrl=probe_url, WaitTimeSeconds=1).get("Messages", [])
            ]
        assert [b["detail"] for b in bodies] == [{"m": marker}]
        assert running.proc.poll() is None and not any("restarting" in line for line in running.log)
        # AND the message that was waiting is still there
        kept = sqs.receive_message(QueueUrl=waiting, WaitTimeSeconds=1).get("Messages", [])
        assert [m["Body"] for m in kept] == ["kept"]

"""EventBridgeServicesStack (seed 003): source and output buses with two EventBridgeService subscribers."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_events as events
from constructs import Construct

from infra.constructs import AlarmTopic, EventBridgeService


class EventBridgeServicesStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        alarms = AlarmTopic(self, "Alarms")
        # No bus names: CloudFormation-generated names let several copies of the stack live in one account.
        self.source_bus = events.EventBus(self, "SourceBus")
        self.output_bus = events.EventBus(self, "OutputBus")
        for bus, name in ((self.source_bus, "Source"), (self.output_bus, "Output")):
            # Replays for debugging; everything this account puts on the bus, kept 5 days (as the seed).
            bus.archive(
                f"{name}Archive",
                event_pattern=events.EventPattern(account=[Stack.of(self).account]),
                retention=Duration.days(5),
            )

        self.backtosource = EventBridgeService(
            self, "backtosource", source_bus=self.source_bus, success_bus=self.source_bus, alarm_topic=alarms
        )
        self.toanother = EventBridgeService(
            self, "toanother", source_bus=self.source_bus, success_bus=self.output_bus, alarm_topic=alarms
        )

        CfnOutput(self, "SourceBusName", value=self.source_bus.event_bus_name)
        CfnOutput(self, "OutputBusName", value=self.output_bus.event_bus_name)
        alarms.watch_functions(self)
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn)
        for svc in (self.backtosource, self.toanother):
            CfnOutput(self, f"{svc.service_id}FailureQueueUrl", value=svc.failure_queue.queue.queue_url)
            CfnOutput(self, f"{svc.service_id}TargetDlqUrl", value=svc.target_dlq.queue.queue_url)

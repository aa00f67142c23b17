"""EventBridgeService: a service image subscribed to ``source == [service id]`` on a bus (seed 003, reworked)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from constructs import Construct

from infra import config
from infra.constructs.alarms import AlarmTopic
from infra.constructs.container_function import DEFAULT_TIMEOUT, ContainerFunction
from infra.constructs.event_rules import EventRuleToFunction


class EventBridgeService(Construct):
    """Given a service id, builds ``services/<id>`` and wires it to ``source_bus``.

    - rule on ``source_bus`` with pattern ``{"source": [<id>]}``;
    - async config: explicit retry attempts and max event age, ``on_success`` -> ``success_bus``,
      ``on_failure`` -> an SQS queue this construct creates;
    - a separate rule-target DLQ (the seed put both record formats in one queue);
    - provisioned concurrency only when the ``provisionedConcurrency`` context asks for it, on a fixed alias name
      (the seed named the alias after a timestamp, so every deploy replaced it).

    Success records have ``source: "lambda"``, so a service whose success bus is its own source bus does not
    re-trigger itself.
    """

    ALIAS_NAME = "live"

    def __init__(
        self,
        scope: Construct,
        service_id: str,
        *,
        source_bus: events.IEventBus,
        success_bus: events.IEventBus,
        alarm_topic: AlarmTopic,
        handler: str | None = None,
        timeout: Duration = DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(scope, service_id)
        self.service_id = service_id
        self.container = ContainerFunction(
            self,
            "Service",
            service=service_id,
            handler=handler or f"{service_id}.handler.handler",
            timeout=timeout,
        )
        target: lambda_.IFunction = self.container.function
        self.alias: lambda_.Alias | None = None
        concurrency = config.provisioned_concurrency(self)
        if concurrency > 0:
            self.alias = lambda_.Alias(
                self,
                "Alias",
                alias_name=self.ALIAS_NAME,
                version=self.container.function.current_version,
                provisioned_concurrent_executions=concurrency,
            )
            target = self.alias
        self.wiring = EventRuleToFunction(
            self,
            "Subscription",
            bus=source_bus,
            pattern=events.EventPattern(source=[service_id]),
            function=target,
            alarm_topic=alarm_topic,
            description=f"{service_id}: events with source '{service_id}'",
            on_success=destinations.EventBridgeDestination(success_bus),
        )
        self.rule = self.wiring.rule
        self.failure_queue = self.wiring.failure_queue
        self.target_dlq = self.wiring.target_dlq

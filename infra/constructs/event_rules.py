"""EventRuleToQueue and EventRuleToFunction: an EventBridge rule with an explicit retry policy and a target DLQ."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.alarms import AlarmTopic, DeadLetterQueue

# EventBridge -> target delivery (not the target's own processing): retry a few times over at most 2 h, then the
# event goes to the rule-target DLQ with the error in its message attributes. The defaults (185 attempts, 24 h)
# hide a broken target for a day.
TARGET_RETRY_ATTEMPTS = 8
TARGET_MAX_EVENT_AGE = Duration.hours(2)

# Lambda async invocation (the function itself failing): 2 retries is Lambda's maximum; an event older than 1 h is
# not worth processing late (the default is 6 h). Both then go to the on_failure destination.
ASYNC_RETRY_ATTEMPTS = 2
ASYNC_MAX_EVENT_AGE = Duration.hours(1)


class EventRuleToQueue(Construct):
    """Rule on ``bus`` matching ``pattern`` -> ``queue``, with a target DLQ for events EventBridge cannot deliver."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        pattern: events.EventPattern,
        queue: sqs.IQueue,
        alarm_topic: AlarmTopic,
        description: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.target_dlq = DeadLetterQueue(
            self, "TargetDlq", alarm_topic=alarm_topic, purpose=f"rule-target DLQ of '{description}'"
        )
        self.rule = events.Rule(
            self,
            "Rule",
            event_bus=bus,
            event_pattern=pattern,
            description=description,
            targets=[
                targets.SqsQueue(
                    queue,
                    dead_letter_queue=self.target_dlq.queue,
                    retry_attempts=TARGET_RETRY_ATTEMPTS,
                    max_event_age=TARGET_MAX_EVENT_AGE,
                )
            ],
        )


class EventRuleToFunction(Construct):
    """Rule on ``bus`` -> async invoke of ``function``, with two separate failure queues.

    - target DLQ: events EventBridge could not hand to Lambda (throttling, permissions); EventBridge record format;
    - on_failure destination: invocations that failed after Lambda's async retries; Lambda destination record format
      (``requestPayload``, ``responsePayload``, ``condition``). Keeping them apart keeps one format per queue.
    ``on_success`` (optional) receives the success records.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        pattern: events.EventPattern,
        function: lambda_.IFunction,
        alarm_topic: AlarmTopic,
        description: str,
        on_success: lambda_.IDestination | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.target_dlq = DeadLetterQueue(
            self, "TargetDlq", alarm_topic=alarm_topic, purpose=f"rule-target DLQ of '{description}'"
        )
        self.failure_queue = DeadLetterQueue(
            self, "OnFailure", alarm_topic=alarm_topic, purpose=f"on_failure destination of '{description}'"
        )
        function.configure_async_invoke(
            retry_attempts=ASYNC_RETRY_ATTEMPTS,
            max_event_age=ASYNC_MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(self.failure_queue.queue),
            on_success=on_success,
        )
        self.rule = events.Rule(
            self,
            "Rule",
            event_bus=bus,
            event_pattern=pattern,
            description=description,
            targets=[
                targets.LambdaFunction(
                    function,
                    dead_letter_queue=self.target_dlq.queue,
                    retry_attempts=TARGET_RETRY_ATTEMPTS,
                    max_event_age=TARGET_MAX_EVENT_AGE,
                )
            ],
        )

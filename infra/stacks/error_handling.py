"""Seeds 000/001: three error-handling patterns around the dlq_demo service, deployable side by side.

The seed hard-coded `function_name="dlq_lambda"` and `topic_name="lambda_topic"` in all three stacks, so only one
could exist per account and region; here CloudFormation names everything.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_lambda_destinations as destinations
from cdk_nag import NagSuppressions
from constructs import Construct

from infra.constructs import (
    AlarmTopic,
    ContainerFunction,
    DeadLetterQueue,
    QueueConsumer,
    TopicToFunction,
    encrypted_queue,
)
from infra.constructs.event_rules import ASYNC_MAX_EVENT_AGE, ASYNC_RETRY_ATTEMPTS
from infra.constructs.queues import SOURCE_RETENTION

SERVICE = "dlq_demo"
HANDLER = "dlq_demo.handlers.process.handler"
# The seed's 15 s; the demo handler only validates and raises.
TIMEOUT = Duration.seconds(15)


def _demo_function(scope: Construct, *, dead_letter_queue: DeadLetterQueue | None = None) -> ContainerFunction:
    return ContainerFunction(
        scope,
        "DemoFunction",
        service=SERVICE,
        handler=HANDLER,
        timeout=TIMEOUT,
        memory_size=256,
        dead_letter_queue=dead_letter_queue.queue if dead_letter_queue else None,
    )


class SQSDLQStack(Stack):
    """SQS queue -> dlq_demo (batches, partial batch responses) -> after 3 receives, the DLQ."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        alarms = AlarmTopic(self, "Alarms")
        function = _demo_function(self)
        # Seed: visibility 20 s (< 6 x 15 s), DLQ retention = source retention (1 h). Here: 90 s, 4 d -> 14 d.
        self.consumer = QueueConsumer(
            self,
            "Consumer",
            consumer=function,
            alarm_topic=alarms,
            batch_size=10,
            # No batching window: the demo should react at once; batches still form under load.
            max_batching_window=Duration.seconds(0),
            # The seed's 3: first attempt + 2 retries, then the DLQ.
            max_receive_count=3,
        )
        CfnOutput(self, "FunctionName", value=function.function.function_name)
        CfnOutput(self, "QueueUrl", value=self.consumer.queue.queue_url)
        CfnOutput(self, "DlqUrl", value=self.consumer.dlq.queue.queue_url)
        alarms.watch_functions(self)
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn)


class LambdaDlqStack(Stack):
    """SNS topic -> dlq_demo (async) with the function's own DLQ (classic `DeadLetterConfig`).

    After the first attempt and ``ASYNC_RETRY_ATTEMPTS`` retries the event lands in the function DLQ with the
    message attributes ErrorCode, ErrorMessage and RequestID.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        alarms = AlarmTopic(self, "Alarms")
        self.function_dlq = DeadLetterQueue(self, "FunctionDlq", alarm_topic=alarms, purpose="function DLQ")
        function = _demo_function(self, dead_letter_queue=self.function_dlq)
        # Explicit, unlike the seed (which left max event age at the 6 h default).
        function.function.configure_async_invoke(retry_attempts=ASYNC_RETRY_ATTEMPTS, max_event_age=ASYNC_MAX_EVENT_AGE)
        self.source = TopicToFunction(
            self, "Source", function=function.function, master_key=alarms.key, alarm_topic=alarms
        )
        CfnOutput(self, "FunctionName", value=function.function.function_name)
        CfnOutput(self, "TopicArn", value=self.source.topic.topic_arn)
        CfnOutput(self, "FunctionDlqUrl", value=self.function_dlq.queue.queue_url)
        CfnOutput(self, "SubscriptionDlqUrl", value=self.source.subscription_dlq.queue.queue_url)
        alarms.watch_functions(self)
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn)


class LambdaDestinationDlqStack(Stack):
    """SNS topic -> dlq_demo (async) with on_success and on_failure SQS destinations.

    The on_failure record carries `requestPayload`, `responsePayload` (errorMessage, errorType) and
    `requestContext.condition` = RetriesExhausted with `approximateInvokeCount` = 1 + retries.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        alarms = AlarmTopic(self, "Alarms")
        function = _demo_function(self)
        self.on_failure = DeadLetterQueue(self, "OnFailure", alarm_topic=alarms, purpose="on_failure destination")
        # Success records are informational: nothing consumes them, so no DLQ and no alarm.
        self.on_success = encrypted_queue(self, "OnSuccess", retention_period=SOURCE_RETENTION)
        NagSuppressions.add_resource_suppressions(
            self.on_success,
            [
                {
                    "id": "AwsSolutions-SQS3",
                    "reason": "Lambda on_success destination for the demo; nothing consumes it, so there is "
                    "nothing to redrive.",
                }
            ],
        )
        function.function.configure_async_invoke(
            retry_attempts=ASYNC_RETRY_ATTEMPTS,
            max_event_age=ASYNC_MAX_EVENT_AGE,
            on_success=destinations.SqsDestination(self.on_success),
            on_failure=destinations.SqsDestination(self.on_failure.queue),
        )
        self.source = TopicToFunction(
            self, "Source", function=function.function, master_key=alarms.key, alarm_topic=alarms
        )
        CfnOutput(self, "FunctionName", value=function.function.function_name)
        CfnOutput(self, "TopicArn", value=self.source.topic.topic_arn)
        CfnOutput(self, "OnSuccessQueueUrl", value=self.on_success.queue_url)
        CfnOutput(self, "OnFailureQueueUrl", value=self.on_failure.queue.queue_url)
        CfnOutput(self, "SubscriptionDlqUrl", value=self.source.subscription_dlq.queue.queue_url)
        alarms.watch_functions(self)
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn)

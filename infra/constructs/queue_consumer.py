"""QueueConsumer: source queue + DLQ + event source mapping (partial batch responses) + alarms."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from infra.constructs.alarms import AlarmTopic, DeadLetterQueue
from infra.constructs.container_function import ContainerFunction
from infra.constructs.queues import SOURCE_RETENTION, encrypted_queue

DEFAULT_MAX_AGE_ALARM = Duration.minutes(10)


def visibility_for(timeout: Duration, batching_window: Duration) -> Duration:
    """AWS guidance: visibility >= 6 x function timeout + batching window, so a message whose invocation is throttled
    and retried is not made visible again (and processed twice) while a first attempt may still be running."""
    return Duration.seconds(6 * timeout.to_seconds() + batching_window.to_seconds())


class QueueConsumer(Construct):
    """Feeds ``consumer`` from a new encrypted queue.

    - ``max_receive_count`` receives, then the message moves to the DLQ (14 days, longer than the source's 4);
    - the mapping always sets ``ReportBatchItemFailures``: the handler returns the failed message ids so only those
      are retried, not the whole batch;
    - alarms: DLQ depth >= 1, and age of the oldest message above ``max_age_alarm`` (consumer stuck or too slow).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        consumer: ContainerFunction,
        alarm_topic: AlarmTopic,
        batch_size: int,
        max_batching_window: Duration,
        max_receive_count: int,
        max_age_alarm: Duration = DEFAULT_MAX_AGE_ALARM,
        max_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dlq = DeadLetterQueue(self, "Dlq", alarm_topic=alarm_topic, purpose=f"DLQ of {consumer.service}'s queue")
        self.visibility_timeout = visibility_for(consumer.timeout, max_batching_window)
        self.queue = encrypted_queue(
            self,
            "Queue",
            retention_period=SOURCE_RETENTION,
            visibility_timeout=self.visibility_timeout,
            dead_letter_queue=self.dlq.as_redrive_target(max_receive_count),
        )
        self.event_source = sources.SqsEventSource(
            self.queue,
            batch_size=batch_size,
            max_batching_window=max_batching_window,
            report_batch_item_failures=True,
            max_concurrency=max_concurrency,
        )
        consumer.function.add_event_source(self.event_source)
        self.function: lambda_.IFunction = consumer.function

        self.age_alarm = alarm_topic.watch(
            cloudwatch.Alarm(
                self,
                "OldestMessageAlarm",
                alarm_description=f"{consumer.service}: oldest message waiting longer than "
                f"{int(max_age_alarm.to_seconds())} s (consumer failing or falling behind)",
                metric=self.queue.metric_approximate_age_of_oldest_message(
                    period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=max_age_alarm.to_seconds(),
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )

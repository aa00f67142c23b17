"""AlarmTopic (encrypted SNS topic for alarm actions, alarms per function) and DeadLetterQueue (queue + depth
alarm)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagSuppressions
from constructs import Construct

from infra import config
from infra.constructs.container_function import ContainerFunction
from infra.constructs.queues import DLQ_RETENTION, encrypted_queue


class AlarmTopic(Construct):
    """An SNS topic every alarm in a stack notifies. Context `alarmEmail` subscribes an address to it at deploy
    (SNS mails a confirmation link first); other subscribers (chat hooks, pagers) can be added after deploy.

    The topic is encrypted with a customer-managed key (rotation on) because CloudWatch cannot publish to a topic
    encrypted with the AWS-managed `aws/sns` key; the key policy lets CloudWatch use it. The same key encrypts the
    stack's other topics.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts this stack's SNS topics",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy "*" means this key
            )
        )
        self.topic = sns.Topic(self, "Topic", master_key=self.key, enforce_ssl=True)
        self.action = cw_actions.SnsAction(self.topic)
        email = config.alarm_email(self)
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))

    def watch(self, alarm: cloudwatch.Alarm) -> cloudwatch.Alarm:
        alarm.add_alarm_action(self.action)
        return alarm

    def watch_functions(self, scope: Construct) -> None:
        """Alarm on errors and on throttles of every container function under ``scope`` (call it last in a stack).

        Errors: an invocation that failed (an unhandled exception, a timeout, a crash); for event sources that
        retry, each attempt counts. Throttles: an invocation refused for lack of concurrency (the event waits, is
        retried or is lost to the caller). Either, once in a minute, is worth a look.
        """
        for container in (c for c in scope.node.find_all() if isinstance(c, ContainerFunction)):
            function = container.function
            for name, metric, what in (
                ("ErrorsAlarm", function.metric_errors, "failed invocations"),
                ("ThrottlesAlarm", function.metric_throttles, "throttled invocations"),
            ):
                self.watch(
                    cloudwatch.Alarm(
                        container,
                        name,
                        alarm_description=f"{container.service} ({container.handler}): {what}",
                        metric=metric(period=Duration.minutes(1), statistic=cloudwatch.Stats.SUM),
                        threshold=1,
                        evaluation_periods=1,
                        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                    )
                )


class DeadLetterQueue(Construct):
    """A 14-day, encrypted queue that holds failed messages/records, with an alarm as soon as one arrives."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alarm_topic: AlarmTopic,
        purpose: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.queue = encrypted_queue(self, "Queue", retention_period=DLQ_RETENTION)
        # Any message here is a failure a human should look at: alarm on the first one, per minute.
        self.alarm = alarm_topic.watch(
            cloudwatch.Alarm(
                self,
                "DepthAlarm",
                alarm_description=f"Messages in the {purpose} (failed work to inspect and redrive)",
                metric=self.queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(1), statistic=cloudwatch.Stats.MAXIMUM
                ),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        NagSuppressions.add_resource_suppressions(
            self.queue,
            [{"id": "AwsSolutions-SQS3", "reason": f"This queue is itself the {purpose}; it has no DLQ of its own."}],
        )

    def as_redrive_target(self, max_receive_count: int) -> sqs.DeadLetterQueue:
        return sqs.DeadLetterQueue(queue=self.queue, max_receive_count=max_receive_count)

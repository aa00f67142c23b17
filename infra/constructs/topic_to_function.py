"""TopicToFunction: an encrypted SNS topic subscribed by a function, with a subscription DLQ."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.constructs.alarms import AlarmTopic, DeadLetterQueue


class TopicToFunction(Construct):
    """SNS -> Lambda (an async invoke). The subscription DLQ catches messages SNS could not deliver to Lambda at all
    (e.g. its permission is missing); failures *inside* the function are the function's DLQ/destination's job.
    No topic name: CloudFormation generates one, so stacks using this can live side by side in one account."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        master_key: kms.IKey,
        alarm_topic: AlarmTopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Topic", master_key=master_key, enforce_ssl=True)
        self.subscription_dlq = DeadLetterQueue(
            self, "SubscriptionDlq", alarm_topic=alarm_topic, purpose="SNS subscription DLQ (undeliverable messages)"
        )
        self.topic.add_subscription(
            subscriptions.LambdaSubscription(function, dead_letter_queue=self.subscription_dlq.queue)
        )

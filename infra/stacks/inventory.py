"""InventoryStack (seed 002): CSV upload -> ingest -> queue -> updater -> inventory table."""

from __future__ import annotations

import itertools
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from cdk_nag import NagSuppressions
from constructs import Construct

from infra import config
from infra.constructs import AlarmTopic, ContainerFunction, DeadLetterQueue, QueueConsumer
from infra.constructs.event_rules import ASYNC_MAX_EVENT_AGE, ASYNC_RETRY_ATTEMPTS

REJECTS_PREFIX = "rejects/"
UPLOAD_EXTENSION = "csv"


def upload_suffixes(extension: str = UPLOAD_EXTENSION) -> list[str]:
    """``.csv``, ``.csV``, ... ``.CSV``: S3 key filters are case-sensitive, and `.CSV` from a spreadsheet export is as
    much an upload as `.csv`. One notification per spelling (they do not overlap, so S3 accepts them together)."""
    return ["." + "".join(p) for p in itertools.product(*((c.lower(), c.upper()) for c in extension))]


class InventoryStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        retain = config.retain_data(self)
        removal = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY
        alarms = AlarmTopic(self, "Alarms")

        # Latest state per (product, location): the seed appended a uuid item per message (duplicates on redelivery).
        self.table = dynamodb.Table(
            self,
            "InventoryTable",
            partition_key=dynamodb.Attribute(name="product_id", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="location", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=removal,
        )

        self.bucket = s3.Bucket(
            self,
            "UploadBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            # Versioned so the ingest function reads exactly the version the notification announced.
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    noncurrent_version_expiration=Duration.days(30),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=removal,
            # Kept on `cdk destroy` by default (context retainData); with retainData=false it is emptied and deleted.
            auto_delete_objects=not retain,
        )

        self.updater = ContainerFunction(
            self,
            "Updater",
            service="inventory_updater",
            handler="inventory_updater.handlers.consume_updates.handler",
            environment={
                "INVENTORY_TABLE_NAME": self.table.table_name,
                # Per stack, so two copies of the stack in one account keep their figures apart.
                "POWERTOOLS_METRICS_NAMESPACE": self.stack_name,
            },
            timeout=Duration.seconds(30),
        )
        # One conditional PutItem per update (it returns the stored item when the condition fails); GetItem for
        # operators' tools reading a level. Nothing else: no scans, deletes or batch writes.
        self.table.grant(self.updater.role, "dynamodb:PutItem", "dynamodb:GetItem")
        self.consumer = QueueConsumer(
            self,
            "Updates",
            consumer=self.updater,
            alarm_topic=alarms,
            # Up to 10 rows per invocation, waiting at most 5 s to fill a batch: fewer invocations at low cost in
            # latency. Visibility = 6 x 30 s + 5 s = 185 s.
            batch_size=10,
            max_batching_window=Duration.seconds(5),
            # A row failing 5 times is a bad row (or a bug), not a transient error: park it in the DLQ.
            max_receive_count=5,
            # The seed's alarm: oldest update waiting 10 minutes.
            max_age_alarm=Duration.minutes(10),
        )

        self.ingest = ContainerFunction(
            self,
            "Ingest",
            service="inventory_ingest",
            handler="inventory_ingest.handlers.ingest_csv.handler",
            environment={
                "INVENTORY_QUEUE_URL": self.consumer.queue.queue_url,
                "REJECTS_PREFIX": REJECTS_PREFIX,
            },
            # Streams the object and sends batches of 10; a large CSV needs more than the seed's 3 s default.
            timeout=Duration.minutes(5),
            memory_size=512,
        )
        self.consumer.queue.grant_send_messages(self.ingest.role)
        self.ingest.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadUploads",
                actions=["s3:GetObject", "s3:GetObjectVersion"],
                resources=[self.bucket.arn_for_objects("*")],
            )
        )
        # ListBucket only so a missing object reads as 404 NoSuchKey (a gone upload) rather than 403 AccessDenied.
        self.ingest.role.add_to_principal_policy(
            iam.PolicyStatement(sid="ListUploads", actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn])
        )
        self.ingest.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WriteRejectsReports",
                actions=["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                resources=[self.bucket.arn_for_objects(f"{REJECTS_PREFIX}*")],
            )
        )
        NagSuppressions.add_resource_suppressions(
            self.ingest.role,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "Uploads may have any key, so reads are on <bucket>/*; writes/deletes are limited to "
                    f"the rejects reports under <bucket>/{REJECTS_PREFIX}*.",
                    "appliesTo": [{"regex": "/^Resource::<UploadBucket[0-9A-F]+\\.Arn>\\/.*\\*$/"}],
                }
            ],
            apply_to_children=True,
        )

        # S3 invokes the function asynchronously: pin retries/age and keep failed notifications (with the error).
        self.ingest_failures = DeadLetterQueue(
            self, "IngestFailures", alarm_topic=alarms, purpose="on_failure destination of the CSV ingest"
        )
        self.ingest.function.configure_async_invoke(
            retry_attempts=ASYNC_RETRY_ATTEMPTS,
            max_event_age=ASYNC_MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(self.ingest_failures.queue),
        )
        # Rejects reports are .csv files too; the handler ignores keys under REJECTS_PREFIX (S3 filters cannot
        # exclude a prefix).
        for suffix in upload_suffixes():
            self.bucket.add_event_notification(
                s3.EventType.OBJECT_CREATED,
                s3n.LambdaDestination(self.ingest.function),
                s3.NotificationKeyFilter(suffix=suffix),
            )

        NagSuppressions.add_resource_suppressions(
            self.bucket,
            [
                {
                    "id": "AwsSolutions-S1",
                    "reason": "Demo upload bucket; server access logs would need a second bucket. Uploads are "
                    "traceable through the ingest function's logs and CloudTrail.",
                }
            ],
        )
        _suppress_cdk_helpers(self)

        CfnOutput(self, "BucketName", value=self.bucket.bucket_name)
        CfnOutput(self, "TableName", value=self.table.table_name)
        CfnOutput(self, "QueueUrl", value=self.consumer.queue.queue_url)
        CfnOutput(self, "DlqUrl", value=self.consumer.dlq.queue.queue_url)
        CfnOutput(self, "IngestFailuresUrl", value=self.ingest_failures.queue.queue_url)
        alarms.watch_functions(self)
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn)


def _suppress_cdk_helpers(stack: Stack) -> None:
    """CDK's own helper functions for bucket notifications and auto-delete (not our code, not images)."""
    for child in stack.node.children:
        cid = child.node.id
        if cid.startswith("BucketNotificationsHandler") or cid.startswith("Custom::S3AutoDeleteObjects"):
            NagSuppressions.add_resource_suppressions(
                child,
                [
                    {
                        "id": "AwsSolutions-IAM4",
                        "reason": "CDK-provided helper (S3 notifications / auto-delete) uses "
                        "AWSLambdaBasicExecutionRole for its logs.",
                    },
                    {
                        "id": "AwsSolutions-IAM5",
                        "reason": "CDK-provided helper: s3:PutBucketNotification has no resource-level scoping "
                        "in CDK's generated policy.",
                    },
                    {"id": "AwsSolutions-L1", "reason": "CDK-provided helper; its runtime is chosen by aws-cdk-lib."},
                ],
                apply_to_children=True,
            )

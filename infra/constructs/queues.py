"""Queue defaults shared by every construct: SSE-SQS encryption and TLS-only access."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_sqs as sqs
from constructs import Construct

# Source queues keep messages 4 days (the SQS default, pinned); DLQs and failure destinations keep them 14 days, the
# maximum. A message moved to a DLQ keeps its original enqueue time, so the DLQ must outlive the source queue.
SOURCE_RETENTION = Duration.days(4)
DLQ_RETENTION = Duration.days(14)
# Nothing consumes DLQs/destinations with a Lambda; 30 s (the SQS default, pinned) suits a human or a redrive.
DEFAULT_VISIBILITY = Duration.seconds(30)


def encrypted_queue(
    scope: Construct,
    construct_id: str,
    *,
    retention_period: Duration,
    visibility_timeout: Duration = DEFAULT_VISIBILITY,
    dead_letter_queue: sqs.DeadLetterQueue | None = None,
) -> sqs.Queue:
    """A standard queue with SSE-SQS and a policy that denies non-TLS access.

    SSE-SQS rather than the AWS-managed KMS key: EventBridge, SNS and S3 cannot publish to queues encrypted with the
    `aws/sqs` key, and SSE-SQS needs no key policy.
    """
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=retention_period,
        visibility_timeout=visibility_timeout,
        dead_letter_queue=dead_letter_queue,
        removal_policy=RemovalPolicy.DESTROY,
    )

"""Create a topology's resources through the local endpoint, in dependency order."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

from localrun.journal import Journal
from localrun.model import Topology
from localrun.userpools import create_user_pools

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_events.type_defs import TargetTypeDef
    from mypy_boto3_s3.type_defs import NotificationConfigurationTypeDef
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.literals import QueueAttributeNameType

    from localrun.aws import EndpointClients


def provision(topology: Topology, clients: EndpointClients, journal: Journal) -> None:
    """Create queues (DLQs first), topics, tables, buckets, buses, rules, subscriptions, bucket notifications and
    Cognito user pools (with their app clients and groups).

    Through the endpoint (not straight to moto), so Lambda targets take the shadow-queue path.
    """
    _queues(topology, clients.sqs)
    for t in topology.topics:
        clients.sns.create_topic(Name=t.name, Attributes={"FifoTopic": "true"} if t.fifo else {})
    # Tables, buckets and buses may exist already: restored from the state directory (localrun.state), kept as
    # they are with their items and objects.
    for table in topology.tables:
        _keep_existing(("ResourceInUseException",), clients.dynamodb.create_table, **table.create_args)
    for b in topology.buckets:
        _keep_existing(("BucketAlreadyOwnedByYou", "BucketAlreadyExists"), clients.s3.create_bucket, Bucket=b.name)
    for bus in topology.buses:
        if bus.name != "default":
            _keep_existing(("ResourceAlreadyExistsException",), clients.events.create_event_bus, Name=bus.name)
    _rules(topology, clients.events)
    _subscriptions(topology, clients.sns)
    for n in topology.bucket_notifications:
        clients.s3.put_bucket_notification_configuration(
            Bucket=n.bucket_name,
            # The template's property, already in the API's shape (localrun.assembly converts it).
            NotificationConfiguration=cast("NotificationConfigurationTypeDef", dict(n.configuration)),
        )
    pools = create_user_pools(topology, clients.cognito_idp) if topology.user_pools else 0
    journal.log(
        "provision",
        f"{len(topology.queues)} queues, {len(topology.topics)} topics, {len(topology.tables)} tables, "
        f"{len(topology.buckets)} buckets, {len(topology.buses)} buses, {len(topology.rules)} rules, "
        f"{len(topology.subscriptions)} subscriptions, {len(topology.bucket_notifications)} bucket notifications, "
        f"{pools} user pools",
    )


def _queues(topology: Topology, sqs: SQSClient) -> None:
    # Queues referenced as a DLQ are created first so the redrive policy can point at them.
    for q in sorted(topology.queues, key=lambda q: q.redrive is not None):
        attributes: dict[QueueAttributeNameType, str] = {"VisibilityTimeout": str(q.visibility_timeout_s)}
        attributes |= cast("dict[QueueAttributeNameType, str]", q.attributes)  # the template's names are the API's
        if q.fifo:
            attributes["FifoQueue"] = "true"
        if q.redrive:
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": q.redrive.dlq_arn, "maxReceiveCount": q.redrive.max_receive_count}
            )
        try:
            sqs.create_queue(QueueName=q.name, Attributes=attributes)
        except ClientError as exc:  # restored with other attributes: the template's win, the messages stay
            if exc.response["Error"]["Code"] not in ("QueueAlreadyExists", "QueueNameExists"):
                raise
            url = sqs.get_queue_url(QueueName=q.name)["QueueUrl"]
            attributes.pop("FifoQueue", None)
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)


def _keep_existing(codes: tuple[str, ...], create: Callable[..., object], **kwargs: Any) -> None:
    try:
        create(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in codes:
            raise


def _rules(topology: Topology, events: EventBridgeClient) -> None:
    for rule in topology.rules:
        args: dict[str, Any] = {
            "Name": rule.name,
            "EventBusName": rule.bus_name,
            "State": "ENABLED" if rule.enabled else "DISABLED",
        }
        if rule.pattern:
            args["EventPattern"] = rule.pattern
        if rule.schedule:
            args["ScheduleExpression"] = rule.schedule
        events.put_rule(**args)
        if rule.targets:
            events.put_targets(
                Rule=rule.name,
                EventBusName=rule.bus_name,
                Targets=[cast("TargetTypeDef", t.to_api()) for t in rule.targets],
            )


def _subscriptions(topology: Topology, sns: SNSClient) -> None:
    for sub in topology.subscriptions:
        attributes = {}
        if sub.raw_message_delivery:
            attributes["RawMessageDelivery"] = "true"
        if sub.filter_policy:
            attributes["FilterPolicy"] = sub.filter_policy
        if sub.dlq_arn:
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": sub.dlq_arn})
        sns.subscribe(
            TopicArn=sub.topic_arn,
            Protocol=sub.protocol,
            Endpoint=sub.endpoint,
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )

"""Seed scenario 3: `{"pass": false}` through the three error-handling stacks; `{"pass": true}` reaches on-success."""

from __future__ import annotations

import json
from typing import Any

import pytest
from localrun_testing import TopologyUnderTest, drain

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
FAIL_MESSAGE = "Fail the Lambda function."


def _topic(topology: TopologyUnderTest, stack: str) -> str:
    arns = [t["TopicArn"] for t in topology.client("sns").list_topics()["Topics"]]
    return topology.name_of(arns, f":{stack}-", "SourceTopic")


def _depth(topology: TopologyUnderTest, url: str) -> int:
    attrs = topology.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def test_sqs_dlq_stack_moves_the_failing_message_after_max_receives(local_topology: TopologyUnderTest) -> None:
    local_topology.require("SQSDLQStack")
    sqs = local_topology.client("sqs")
    queue = local_topology.queue_url("SQSDLQStack-", "ConsumerQueue")
    dlq = local_topology.queue_url("SQSDLQStack-", "ConsumerDlq")
    # GIVEN a good and a bad message WHEN both are sent to the consumer's queue
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"pass": True, "id": "good"}))
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"pass": False, "id": "bad"}))
    # THEN only the bad one reaches the DLQ, unchanged, after the queue's maxReceiveCount receives
    [dead] = drain(sqs, dlq, want=1)
    assert json.loads(dead["Body"]) == {"pass": False, "id": "bad"}
    assert int(dead["Attributes"]["ApproximateReceiveCount"]) >= 3
    assert drain(sqs, dlq, want=1, timeout=3) == []
    assert _depth(local_topology, queue) == 0


def test_lambda_dlq_stack_puts_the_event_and_error_attributes_in_the_function_dlq(
    local_topology: TopologyUnderTest,
) -> None:
    local_topology.require("LambdaDlqStack")
    sqs = local_topology.client("sqs")
    dlq = local_topology.queue_url("LambdaDlqStack-", "FunctionDlq")
    # WHEN a failing payload is published to the topic
    local_topology.client("sns").publish(
        TopicArn=_topic(local_topology, "LambdaDlqStack"), Message=json.dumps({"pass": False})
    )
    # THEN after the retries the function DLQ holds the SNS event with Lambda's error attributes
    [dead] = drain(sqs, dlq, want=1)
    event = json.loads(dead["Body"])
    assert json.loads(event["Records"][0]["Sns"]["Message"]) == {"pass": False}
    attributes = dead["MessageAttributes"]
    assert attributes["ErrorMessage"]["StringValue"] == FAIL_MESSAGE
    assert attributes["RequestID"]["StringValue"]
    assert attributes["ErrorCode"]["DataType"] == "Number"


def _record(messages: list[dict[str, Any]]) -> dict[str, Any]:
    [message] = messages
    record: dict[str, Any] = json.loads(message["Body"])
    return record


def test_lambda_destination_stack_records_failure_and_success(local_topology: TopologyUnderTest) -> None:
    local_topology.require("LambdaDestinationDlqStack")
    sqs, sns = local_topology.client("sqs"), local_topology.client("sns")
    topic = _topic(local_topology, "LambdaDestinationDlqStack")
    on_failure = local_topology.queue_url("LambdaDestinationDlqStack-", "OnFailure")
    on_success = local_topology.queue_url("LambdaDestinationDlqStack-", "OnSuccess")
    # WHEN a failing and a passing payload are published
    sns.publish(TopicArn=topic, Message=json.dumps({"pass": False}))
    sns.publish(TopicArn=topic, Message=json.dumps({"pass": True}))
    # THEN the on-failure destination holds AWS's record after three attempts
    failure = _record(drain(sqs, on_failure, want=1))
    assert failure["version"] == "1.0"
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["responseContext"]["functionError"] == "Unhandled"
    assert failure["responsePayload"]["errorType"] == "ValueError"
    assert failure["responsePayload"]["errorMessage"] == FAIL_MESSAGE
    assert json.loads(failure["requestPayload"]["Records"][0]["Sns"]["Message"]) == {"pass": False}
    # AND the on-success destination holds the passing one
    success = _record(drain(sqs, on_success, want=1))
    assert success["requestContext"]["condition"] == "Success"
    assert success["requestContext"]["approximateInvokeCount"] == 1
    assert json.loads(success["requestPayload"]["Records"][0]["Sns"]["Message"]) == {"pass": True}

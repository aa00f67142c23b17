"""The endpoint's rewriters, one per protocol: Lambda targets become shadow queues, answers get typed intents."""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qsl

from localrun.journal import Journal
from localrun.rewrite import RecordSubscription, Request, Rewriters, ShowFunctionArns

FN_ARN = "arn:aws:lambda:us-east-1:000000000000:function:fn-a"
TOPIC = "arn:aws:sns:us-east-1:000000000000:t"


def rewriters() -> Rewriters:
    return Rewriters.for_shadows(lambda fn: f"arn:aws:sqs:us-east-1:000000000000:shadow-{fn}", Journal(io.StringIO()))


def test_json_put_targets_points_lambda_targets_at_the_shadow_queue() -> None:
    body = json.dumps({"Rule": "r", "Targets": [{"Id": "1", "Arn": FN_ARN}, {"Id": "2", "Arn": "arn:aws:sqs:x:y:q"}]})
    request = Request("POST", "/", [("X-Amz-Target", "AWSEvents.PutTargets")], body.encode())
    out = rewriters().rewrite(request)
    targets = json.loads(out.body)["Targets"]
    assert [t["Arn"] for t in targets] == ["arn:aws:sqs:us-east-1:000000000000:shadow-fn-a", "arn:aws:sqs:x:y:q"]
    assert out.then is None


def test_json_list_targets_shows_function_arns_in_the_answer() -> None:
    request = Request("POST", "/", [("X-Amz-Target", "AWSEvents.ListTargetsByRule")], b"{}")
    assert rewriters().rewrite(request).then == ShowFunctionArns()


def test_query_subscribe_of_a_lambda_becomes_sqs_and_records_the_subscription() -> None:
    form = f"Action=Subscribe&TopicArn={TOPIC}&Protocol=lambda&Endpoint={FN_ARN}".encode()
    request = Request("POST", "/", [("Content-Type", "application/x-www-form-urlencoded")], form)
    out = rewriters().rewrite(request)
    fields = dict(parse_qsl(out.body.decode()))
    assert fields["Protocol"] == "sqs" and fields["Endpoint"].endswith(":shadow-fn-a")
    assert out.then == RecordSubscription("fn-a", TOPIC)
    answer = f"<SubscribeResult><SubscriptionArn>{TOPIC}:abc</SubscriptionArn></SubscribeResult>".encode()
    assert out.then.subscription_arn(answer) == f"{TOPIC}:abc"


def test_json_subscribe_without_a_topic_records_nothing() -> None:
    body = json.dumps({"Protocol": "lambda", "Endpoint": FN_ARN}).encode()
    out = rewriters().rewrite(Request("POST", "/", [("X-Amz-Target", "AmazonSNS.Subscribe")], body))
    assert json.loads(out.body)["Protocol"] == "sqs"
    assert out.then is None


def test_s3_notification_to_lambda_becomes_a_queue_configuration_and_drops_stale_checksums() -> None:
    xml = (
        '<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<CloudFunctionConfiguration><CloudFunction>{FN_ARN}</CloudFunction><Event>s3:ObjectCreated:*</Event>"
        "</CloudFunctionConfiguration></NotificationConfiguration>"
    ).encode()
    headers = [("Content-MD5", "x"), ("x-amz-checksum-crc32", "y"), ("Content-Type", "application/xml")]
    out = rewriters().rewrite(Request("PUT", "/bucket?notification", headers, xml))
    assert b"<QueueConfiguration><Queue>arn:aws:sqs:us-east-1:000000000000:shadow-fn-a</Queue>" in out.body
    assert b"CloudFunction" not in out.body
    assert out.headers == [("Content-Type", "application/xml")]
    assert rewriters().rewrite(Request("GET", "/bucket?notification", [], b"")).then == ShowFunctionArns()


def test_other_calls_pass_unchanged() -> None:
    request = Request("PUT", "/bucket/key", [("Content-Type", "text/plain")], b"data")
    out = rewriters().rewrite(request)
    assert (out.body, out.headers, out.then) == (b"data", request.headers, None)


def test_query_lists_show_function_arns_and_an_escaped_action_is_still_read() -> None:
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    listing = Request("POST", "/", form, b"Action=ListSubscriptionsByTopic&TopicArn=t")
    assert rewriters().rewrite(listing).then == ShowFunctionArns()
    escaped = f"Act%69on=Subscr%69be&TopicArn={TOPIC}&Protocol=lambda&Endpoint={FN_ARN}&Action=Subscribe".encode()
    out = rewriters().rewrite(Request("POST", "/", form, escaped))
    assert dict(parse_qsl(out.body.decode()))["Protocol"] == "sqs"
    publish = Request("POST", "/", form, b"Action=Publish&TopicArn=t&Message=\xff")  # no UTF-8: moto's to answer
    assert rewriters().rewrite(publish).body == publish.body


def test_a_header_is_found_by_any_spelling_and_the_first_value_wins() -> None:
    request = Request("POST", "/", [("x-amz-TARGET", "a.B"), ("X-Amz-Target", "c.D")], b"")
    assert request.header("X-Amz-Target") == "a.B"
    assert request.header("Content-Type") is None

"""Which endpoint calls the traces follow, and the ids their answers hand back."""

from __future__ import annotations

import json

from localrun.model import query_action
from localrun.records.calls import answer_ids, classify

JSON = "application/x-amz-json-1.1"


def _target(target: str, body: dict[str, object]) -> tuple[list[tuple[str, str]], bytes]:
    return [("X-Amz-Target", target), ("Content-Type", JSON)], json.dumps(body).encode()


def test_put_events_is_a_producer_whose_answer_links_its_event_ids() -> None:
    headers, body = _target("AWSEvents.PutEvents", {"Entries": [{"Source": "s", "EventBusName": "shop"}]})
    call = classify("POST", "/", headers, body, in_trace=False)
    assert call is not None and call.producer and call.target == "shop"
    answer = json.dumps({"Entries": [{"EventId": "e1"}], "FailedEntryCount": 0}).encode()
    assert answer_ids(call, 200, answer) == ["e1"]
    assert answer_ids(call, 400, answer) == []


def test_sqs_in_both_protocols() -> None:
    headers, body = _target("AmazonSQS.SendMessageBatch", {"QueueUrl": "http://x/000/q", "Entries": []})
    call = classify("POST", "/", headers, body, in_trace=False)
    assert call is not None and call.service == "sqs"
    assert answer_ids(call, 200, json.dumps({"Successful": [{"MessageId": "a"}, {"MessageId": "b"}]}).encode()) == [
        "a",
        "b",
    ]
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    query = classify(
        "POST", "/", form, b"Action=SendMessage&QueueUrl=http%3A%2F%2Fx%2Fq&MessageBody=hi", in_trace=False
    )
    assert query is not None and query.action == "SendMessage"
    assert answer_ids(query, 200, b"<SendMessageResponse><MessageId>m-1</MessageId></SendMessageResponse>") == ["m-1"]


def test_sns_publish_s3_put_and_table_writes() -> None:
    form = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
    publish = classify(
        "POST", "/", form, b"Action=Publish&TopicArn=arn%3Aaws%3Asns%3Ar%3A1%3At&Message=x", in_trace=False
    )
    assert publish is not None and publish.target == "arn:aws:sns:r:1:t"
    put = classify("PUT", "/bucket/uploads/a%20b.csv", [], b"data", in_trace=False)
    assert put is not None and put.producer and answer_ids(put, 200, b"") == ["s3://bucket/uploads/a b.csv"]
    assert classify("PUT", "/bucket", [], b"", in_trace=False) is None  # CreateBucket
    assert classify("PUT", "/bucket/key?tagging", [], b"", in_trace=False) is None
    headers, body = _target(
        "DynamoDB_20120810.TransactWriteItems",
        {"TransactItems": [{"Put": {"TableName": "orders"}}, {"Update": {"TableName": "keys"}}]},
    )
    # a table write is followed inside a trace only: it starts none, so outside one its body is not even parsed
    assert classify("POST", "/", headers, body, in_trace=False) is None
    write = classify("POST", "/", headers, body, in_trace=True)
    assert write is not None and write.table_write and not write.producer and write.target == "keys,orders"
    headers, body = _target("DynamoDB_20120810.GetItem", {"TableName": "orders"})
    assert classify("POST", "/", headers, body, in_trace=False) is None


def test_a_forms_action_is_read_as_parse_qs_reads_it() -> None:
    assert query_action(b"Action=Publish&TopicArn=t&Message=Action%3DSubscribe") == "Publish"
    assert query_action(b"TopicArn=t&Action=&Action=Publish") == "Publish"  # a blank one is no Action
    assert query_action(b"Act%69on=Pub%6Cish&Message=x") == "Publish"  # escaped: read by parsing the form
    assert query_action(b"Message=x") == ""


def test_what_a_call_addresses_is_read_from_its_request_when_asked() -> None:
    form = [("Content-Type", "application/x-www-form-urlencoded")]
    send = classify("POST", "/000000000000/q", form, b"Action=SendMessage&MessageBody=hi", in_trace=False)
    assert send is not None and send.target == "/000000000000/q"  # the old query protocol: the queue is the path
    twice = b"Action=Publish&TopicArn=first&TopicArn=second&Message=x"
    publish = classify("POST", "/", form, twice, in_trace=False)
    assert publish is not None and publish.target == "first" and publish.body == {}
    headers, body = _target("AWSEvents.PutEvents", {"Entries": [{"Source": "s"}, {"EventBusName": "b"}]})
    events = classify("POST", "/", headers, body, in_trace=False)
    assert events is not None and events.target == "b,default" and len(events.body["Entries"]) == 2
    broken = classify("POST", "/", headers, b"{not json", in_trace=False)
    assert broken is not None and broken.producer and broken.body == {} and broken.target == ""

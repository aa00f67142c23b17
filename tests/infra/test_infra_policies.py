"""Properties every synthesised stack must have: images, roles, logs, encryption, TLS, DLQs with alarms, timings."""

from __future__ import annotations

from typing import Any

import pytest

from infra.assembly import Assembly, buildable_stacks
from infra.constructs.container_function import METADATA_KEY

# Env var names each handler's settings class reads (docs/CONVENTIONS.md), besides the Powertools ones.
EXPECTED_ENV = {
    "backtosource.handler.handler": set(),
    "toanother.handler.handler": set(),
    "dlq_demo.handlers.process.handler": set(),
    "product.handlers.api.handler": {"PRODUCT_TABLE_NAME", "EVENT_BUS_NAME"},
    "basket.handlers.api.handler": {
        "BASKET_TABLE_NAME",
        "PRODUCT_TABLE_NAME",
        "EVENT_BUS_NAME",
        "IDEMPOTENCY_TABLE_NAME",
    },
    "basket.handlers.consume_price_changed.handler": {"BASKET_TABLE_NAME", "PRODUCT_TABLE_NAME"},
    "ordering.handlers.api.handler": {"ORDER_TABLE_NAME"},
    "ordering.handlers.consume_checkout.handler": {"ORDER_TABLE_NAME"},
    "inventory_ingest.handlers.ingest_csv.handler": {"INVENTORY_QUEUE_URL", "REJECTS_PREFIX"},
    "inventory_updater.handlers.consume_updates.handler": {"INVENTORY_TABLE_NAME", "POWERTOOLS_METRICS_NAMESPACE"},
}
# Lambda functions CDK itself adds (inline code, not our images).
CDK_HELPER_PREFIXES = ("BucketNotificationsHandler", "CustomS3AutoDeleteObjects")
PHYSICAL_NAME_PROPS = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Logs::LogGroup": "LogGroupName",
}


def _of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def _ref(value: Any) -> str:
    """Logical id behind {"Ref": id} or {"Fn::GetAtt": [id, attr]}."""
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    raise AssertionError(f"not a Ref/GetAtt: {value!r}")


def _image_functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        k: v for k, v in _of_type(template, "AWS::Lambda::Function").items() if not k.startswith(CDK_HELPER_PREFIXES)
    }


@pytest.fixture(params=sorted(buildable_stacks()))
def template(request: pytest.FixtureRequest, synthesized: Assembly) -> dict[str, Any]:
    return synthesized.template(str(request.param))


def test_every_function_is_a_service_image_with_its_handler_as_cmd(template: dict[str, Any]) -> None:
    functions = _image_functions(template)
    assert functions
    for logical_id, fn in functions.items():
        props = fn["Properties"]
        meta = fn["Metadata"][METADATA_KEY]
        # THEN an image (no zip, no inline code), whose CMD is the handler, from services/<svc>
        assert props["PackageType"] == "Image", logical_id
        assert props["ImageConfig"]["Command"] == [meta["handler"]], logical_id
        assert meta["directory"] == f"services/{meta['handler'].split('.')[0]}", logical_id
        assert meta["handler"] in EXPECTED_ENV, f"{meta['handler']} is not in docs/CONVENTIONS.md"


def test_env_var_names_match_the_services_settings(template: dict[str, Any]) -> None:
    for logical_id, fn in _image_functions(template).items():
        handler = fn["Metadata"][METADATA_KEY]["handler"]
        env = set(fn["Properties"]["Environment"]["Variables"])
        assert env == EXPECTED_ENV[handler] | {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL"}, logical_id
        service = fn["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        assert service == handler.split(".")[0]


def test_one_role_per_function_without_managed_policies(template: dict[str, Any]) -> None:
    functions = _image_functions(template)
    roles = [_ref(fn["Properties"]["Role"]) for fn in functions.values()]
    assert len(set(roles)) == len(roles)
    for role in roles:
        assert "ManagedPolicyArns" not in template["Resources"][role]["Properties"], role


def test_only_xray_is_granted_on_every_resource(template: dict[str, Any]) -> None:
    roles = {_ref(fn["Properties"]["Role"]) for fn in _image_functions(template).values()}
    for logical_id, policy in _of_type(template, "AWS::IAM::Policy").items():
        if not {_ref(r) for r in policy["Properties"]["Roles"]} & roles:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert all("*" not in a for a in actions), (logical_id, actions)
            if statement["Resource"] == "*":
                assert set(actions) <= {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, (logical_id, actions)


def test_every_function_logs_to_its_own_log_group_with_a_retention(template: dict[str, Any]) -> None:
    for logical_id, fn in _image_functions(template).items():
        group = _ref(fn["Properties"]["LoggingConfig"]["LogGroup"])
        assert template["Resources"][group]["Properties"]["RetentionInDays"] == 30, logical_id
        assert fn["Properties"]["TracingConfig"] == {"Mode": "Active"}


def test_no_hard_coded_physical_names(template: dict[str, Any]) -> None:
    for resource_type, prop in PHYSICAL_NAME_PROPS.items():
        for logical_id, resource in _of_type(template, resource_type).items():
            assert prop not in resource.get("Properties", {}), f"{logical_id} has a fixed {prop}"
    stacks = tuple(buildable_stacks())
    for logical_id, bus in _of_type(template, "AWS::Events::EventBus").items():
        # EventBridge requires a name; CDK derives it from the stack name, so copies of a stack do not collide.
        assert bus["Properties"]["Name"].startswith(stacks), logical_id


def _denies_insecure_transport(policy_document: dict[str, Any]) -> bool:
    return any(
        s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy_document["Statement"]
    )


def test_every_queue_is_encrypted_and_tls_only(template: dict[str, Any]) -> None:
    queues = _of_type(template, "AWS::SQS::Queue")
    policies = _of_type(template, "AWS::SQS::QueuePolicy").values()
    for logical_id, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True, logical_id
        assert any(
            logical_id in {_ref(q) for q in p["Properties"]["Queues"]}
            and _denies_insecure_transport(p["Properties"]["PolicyDocument"])
            for p in policies
        ), f"{logical_id} accepts plain HTTP"


def test_every_topic_is_kms_encrypted_and_tls_only(template: dict[str, Any]) -> None:
    policies = _of_type(template, "AWS::SNS::TopicPolicy").values()
    for logical_id, topic in _of_type(template, "AWS::SNS::Topic").items():
        assert "KmsMasterKeyId" in topic["Properties"], logical_id
        assert any(
            logical_id in {_ref(t) for t in p["Properties"]["Topics"]}
            and _denies_insecure_transport(p["Properties"]["PolicyDocument"])
            for p in policies
        ), logical_id
    for logical_id, key in _of_type(template, "AWS::KMS::Key").items():
        assert key["Properties"]["EnableKeyRotation"] is True, logical_id


def test_buckets_are_encrypted_private_and_tls_only(template: dict[str, Any]) -> None:
    policies = _of_type(template, "AWS::S3::BucketPolicy").values()
    for logical_id, bucket in _of_type(template, "AWS::S3::Bucket").items():
        props = bucket["Properties"]
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"], logical_id
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert any(
            _ref(p["Properties"]["Bucket"]) == logical_id
            and _denies_insecure_transport(p["Properties"]["PolicyDocument"])
            for p in policies
        ), logical_id


def _alarmed_queues(template: dict[str, Any]) -> set[str]:
    alarmed = set()
    for alarm in _of_type(template, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props["MetricName"] == "ApproximateNumberOfMessagesVisible" and props["Threshold"] == 1:
            assert props["AlarmActions"], "a DLQ alarm notifies the stack's alarm topic"
            alarmed |= {_ref(d["Value"]) for d in props["Dimensions"] if d["Name"] == "QueueName"}
    return alarmed


def _failure_queues(template: dict[str, Any]) -> set[str]:
    """Every queue that receives failed work: redrive DLQs, rule-target DLQs, on_failure destinations, function
    DLQs and SNS subscription DLQs."""
    found: set[str] = set()
    for queue in _of_type(template, "AWS::SQS::Queue").values():
        if "RedrivePolicy" in queue["Properties"]:
            found.add(_ref(queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]))
    for rule in _of_type(template, "AWS::Events::Rule").values():
        found |= {_ref(t["DeadLetterConfig"]["Arn"]) for t in rule["Properties"]["Targets"]}
    for config in _of_type(template, "AWS::Lambda::EventInvokeConfig").values():
        on_failure = config["Properties"].get("DestinationConfig", {}).get("OnFailure")
        if on_failure:
            found.add(_ref(on_failure["Destination"]))
    for fn in _image_functions(template).values():
        if "DeadLetterConfig" in fn["Properties"]:
            found.add(_ref(fn["Properties"]["DeadLetterConfig"]["TargetArn"]))
    for sub in _of_type(template, "AWS::SNS::Subscription").values():
        if "RedrivePolicy" in sub["Properties"]:
            found.add(_ref(sub["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]))
    return {q for q in found if template["Resources"][q]["Type"] == "AWS::SQS::Queue"}


def test_every_failure_queue_has_a_depth_alarm_and_14_day_retention(template: dict[str, Any]) -> None:
    failure_queues = _failure_queues(template)
    assert failure_queues
    assert failure_queues <= _alarmed_queues(template)
    for q in failure_queues:
        assert template["Resources"][q]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600, q


def test_redrive_dlqs_outlive_their_source_and_max_receive_count_is_explicit(template: dict[str, Any]) -> None:
    for logical_id, queue in _of_type(template, "AWS::SQS::Queue").items():
        redrive = queue["Properties"].get("RedrivePolicy")
        if not redrive:
            continue
        dlq = template["Resources"][_ref(redrive["deadLetterTargetArn"])]["Properties"]
        assert dlq["MessageRetentionPeriod"] > queue["Properties"]["MessageRetentionPeriod"], logical_id
        assert 1 < redrive["maxReceiveCount"] <= 10, logical_id


def test_sqs_event_sources_report_batch_item_failures_and_visibility_covers_six_timeouts(
    template: dict[str, Any],
) -> None:
    for logical_id, esm in _of_type(template, "AWS::Lambda::EventSourceMapping").items():
        props = esm["Properties"]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"], logical_id
        assert "BatchSize" in props, logical_id
        assert "MaximumBatchingWindowInSeconds" in props, logical_id
        queue = template["Resources"][_ref(props["EventSourceArn"])]["Properties"]
        fn = template["Resources"][_ref(props["FunctionName"])]["Properties"]
        window = props["MaximumBatchingWindowInSeconds"]
        assert queue["VisibilityTimeout"] >= 6 * fn["Timeout"] + window, logical_id
        # Queue consumers are alarmed on the age of their oldest message too.
        ages = [
            a["Properties"]
            for a in _of_type(template, "AWS::CloudWatch::Alarm").values()
            if a["Properties"]["MetricName"] == "ApproximateAgeOfOldestMessage"
        ]
        assert any(_ref(props["EventSourceArn"]) in {_ref(d["Value"]) for d in a["Dimensions"]} for a in ages)


def test_async_invocations_pin_retries_and_event_age(template: dict[str, Any]) -> None:
    for logical_id, config in _of_type(template, "AWS::Lambda::EventInvokeConfig").items():
        assert config["Properties"]["MaximumRetryAttempts"] == 2, logical_id
        assert config["Properties"]["MaximumEventAgeInSeconds"] == 3600, logical_id


def test_every_rule_target_has_a_retry_policy_and_a_dlq(template: dict[str, Any]) -> None:
    for logical_id, rule in _of_type(template, "AWS::Events::Rule").items():
        for target in rule["Properties"]["Targets"]:
            assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 7200, "MaximumRetryAttempts": 8}, logical_id
            assert "DeadLetterConfig" in target, logical_id


def test_no_provisioned_concurrency_unless_asked(template: dict[str, Any]) -> None:
    assert not _of_type(template, "AWS::Lambda::Alias")
    assert not _of_type(template, "AWS::Lambda::Version")


def test_every_function_alarms_on_errors_and_throttles_to_the_alarm_topic(template: dict[str, Any]) -> None:
    alarmed: dict[str, set[str]] = {}
    for alarm in _of_type(template, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props.get("Namespace") != "AWS/Lambda":
            continue
        assert props["AlarmActions"], "a function alarm notifies the stack's alarm topic"
        assert (props["Threshold"], props["Statistic"], props["Period"]) == (1, "Sum", 60)
        for d in props["Dimensions"]:
            if d["Name"] == "FunctionName":
                alarmed.setdefault(_ref(d["Value"]), set()).add(props["MetricName"])
    functions = _image_functions(template)
    assert functions
    assert {fn: alarmed.get(fn) for fn in functions} == {fn: {"Errors", "Throttles"} for fn in functions}


def test_tables_and_buckets_are_retained_on_destroy_by_default(template: dict[str, Any]) -> None:
    data = {**_of_type(template, "AWS::DynamoDB::Table"), **_of_type(template, "AWS::S3::Bucket")}
    for logical_id, resource in data.items():
        assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain"), logical_id
    # and nothing empties a retained bucket
    assert not _of_type(template, "Custom::S3AutoDeleteObjects")

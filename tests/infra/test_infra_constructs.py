"""Each construct on its own, in a throwaway stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk.assertions import Match, Template

from infra import config
from infra.app import cdk_json_context
from infra.constructs import (
    AlarmTopic,
    ContainerFunction,
    EventBridgeService,
    EventRuleToQueue,
    QueueConsumer,
    encrypted_queue,
)
from infra.constructs.queues import SOURCE_RETENTION


def _stack(outdir: Path, context: dict[str, Any] | None = None) -> cdk.Stack:
    ctx = cdk_json_context()
    ctx.update(context or {})
    return cdk.Stack(cdk.App(outdir=str(outdir), context=ctx), "TestStack")


DOCKERIGNORE = config.REPO_ROOT / ".dockerignore"


def _fake_repo(root: Path) -> None:
    """A repository with two services, the shared library, the lock, and the clutter a working copy collects."""
    (root / ".dockerignore").parent.mkdir(parents=True, exist_ok=True)
    (root / ".dockerignore").write_text(DOCKERIGNORE.read_text())
    for rel in (
        "pyproject.toml",
        "uv.lock",
        "docker/install-service.sh",
        "docker/build-base-image.sh",
        "libs/common/pyproject.toml",
        "libs/common/src/lambda_common/x.py",
        "libs/common/src/lambda_common/__pycache__/x.cpython-311.pyc",
        "tools/localrun/pyproject.toml",
        "tools/localrun/src/localrun/x.py",
        *(
            f"services/{name}/{rel}"
            for name in ("svc", "other")
            for rel in ("Dockerfile", "pyproject.toml", f"src/{name}/handler.py", "events/hello.json", "README.md")
        ),
        "services/svc/tests/test_x.py",
        ".wheelhouse/dep-1.0-py3-none-any.whl",
        ".venv/lib/site.py",
        "node_modules/aws-cdk/index.js",
        "cdk.out/x.template.json",
        "tests/unit/test_x.py",
        "README.md",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)


def test_container_function_builds_from_the_repository_root_with_only_what_its_image_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a repository with two services, caches, tests, node_modules and a local wheelhouse
    monkeypatch.setattr(config, "REPO_ROOT", tmp_path / "repo")
    monkeypatch.setattr(config, "SERVICES_DIR", tmp_path / "repo" / "services")
    _fake_repo(tmp_path / "repo")
    stack = _stack(tmp_path / "out")
    # WHEN one service becomes a ContainerFunction and the app is synthesised
    ContainerFunction(stack, "Fn", service="svc", handler="svc.handler.handler")
    assembly = stack.node.root.synth()  # type: ignore[attr-defined]
    # THEN the staged context is what `docker build -f services/svc/Dockerfile .` needs: the workspace's
    # pyproject files, the lock, the library, this service's sources and the install script; not the other service,
    # the wheelhouse (machine-local: it would change the hash), tests, caches or sample events
    manifest = json.loads((Path(assembly.directory) / "TestStack.assets.json").read_text())
    (image,) = manifest["dockerImages"].values()
    staged = Path(assembly.directory) / image["source"]["directory"]
    files = {str(p.relative_to(staged)) for p in staged.rglob("*") if p.is_file()}
    assert files == {
        ".dockerignore",
        "pyproject.toml",
        "uv.lock",
        "docker/install-service.sh",
        "libs/common/pyproject.toml",
        "libs/common/src/lambda_common/x.py",
        "tools/localrun/pyproject.toml",
        "services/svc/Dockerfile",
        "services/svc/pyproject.toml",
        "services/svc/src/svc/handler.py",
    }
    # AND the image is built from the service's Dockerfile, with the default base image, for the platform Lambda runs
    assert image["source"]["dockerFile"] == "services/svc/Dockerfile"
    assert image["source"]["dockerBuildArgs"] == {"BASE_IMAGE": config.DEFAULT_BASE_IMAGE}
    assert image["source"]["platform"] == "linux/amd64"


def test_the_base_image_comes_from_context_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN BASE_IMAGE in the environment, and a stack with and one without the baseImage context
    monkeypatch.setenv("BASE_IMAGE", "from-env:1")
    with_context = _stack(tmp_path / "a", {"baseImage": "lambda-base:bookworm"})
    without = _stack(tmp_path / "b")
    # THEN the context wins, else the environment
    assert config.base_image(with_context) == "lambda-base:bookworm"
    assert config.base_image(without) == "from-env:1"
    monkeypatch.delenv("BASE_IMAGE")
    assert config.base_image(without) == "python:3.12-slim-bookworm"


def test_container_function_sets_cmd_env_metadata_and_its_own_role(tmp_path: Path) -> None:
    stack = _stack(tmp_path, {"logLevel": "debug"})
    ContainerFunction(
        stack, "Fn", service="backtosource", handler="backtosource.handler.handler", environment={"EXTRA_SETTING": "1"}
    )
    t = Template.from_stack(stack)
    t.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "PackageType": "Image",
            "ImageConfig": {"Command": ["backtosource.handler.handler"]},
            "Environment": {
                "Variables": {
                    "POWERTOOLS_SERVICE_NAME": "backtosource",
                    "POWERTOOLS_LOG_LEVEL": "DEBUG",
                    "EXTRA_SETTING": "1",
                }
            },
            "LoggingConfig": {"LogGroup": {"Ref": Match.string_like_regexp("^FnLogGroup")}},
        },
    )
    t.has_resource(
        "AWS::Lambda::Function",
        {
            "Metadata": {
                "lambda-microservices:service": {
                    "directory": "services/backtosource",
                    "handler": "backtosource.handler.handler",
                }
            }
        },
    )
    t.resource_count_is("AWS::IAM::Role", 1)
    t.has_resource_properties("AWS::IAM::Role", {"ManagedPolicyArns": Match.absent()})
    t.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})


def test_queue_consumer_sizes_visibility_from_timeout_and_window(tmp_path: Path) -> None:
    # GIVEN a 20 s consumer with a 3 s batching window
    stack = _stack(tmp_path)
    fn = ContainerFunction(
        stack, "Fn", service="backtosource", handler="backtosource.handler.handler", timeout=cdk.Duration.seconds(20)
    )
    QueueConsumer(
        stack,
        "Consumer",
        consumer=fn,
        alarm_topic=AlarmTopic(stack, "Alarms"),
        batch_size=5,
        max_batching_window=cdk.Duration.seconds(3),
        max_receive_count=4,
    )
    t = Template.from_stack(stack)
    # THEN visibility = 6 x 20 + 3, redrive after 4 receives to a 14-day DLQ, partial batch responses
    t.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "VisibilityTimeout": 123,
            "MessageRetentionPeriod": int(SOURCE_RETENTION.to_seconds()),
            "RedrivePolicy": {"maxReceiveCount": 4, "deadLetterTargetArn": Match.any_value()},
        },
    )
    t.has_resource_properties("AWS::SQS::Queue", {"MessageRetentionPeriod": 1209600, "RedrivePolicy": Match.absent()})
    t.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"BatchSize": 5, "MaximumBatchingWindowInSeconds": 3, "FunctionResponseTypes": ["ReportBatchItemFailures"]},
    )
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "ApproximateNumberOfMessagesVisible", "Threshold": 1, "AlarmActions": [Match.any_value()]},
    )
    t.has_resource_properties("AWS::CloudWatch::Alarm", {"MetricName": "ApproximateAgeOfOldestMessage"})


def test_event_rule_to_queue_lets_only_its_rule_send(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    bus = events.EventBus(stack, "Bus")
    queue = encrypted_queue(stack, "Target", retention_period=SOURCE_RETENTION)
    EventRuleToQueue(
        stack,
        "Route",
        bus=bus,
        pattern=events.EventPattern(source=["a"], detail_type=["B"]),
        queue=queue,
        alarm_topic=AlarmTopic(stack, "Alarms"),
        description="a/B -> queue",
    )
    t = Template.from_stack(stack)
    t.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {"source": ["a"], "detail-type": ["B"]},
            "Targets": [
                {
                    "Arn": {"Fn::GetAtt": [Match.string_like_regexp("^Target"), "Arn"]},
                    "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [Match.string_like_regexp("^RouteTargetDlq"), "Arn"]}},
                    "RetryPolicy": {"MaximumRetryAttempts": 8, "MaximumEventAgeInSeconds": 7200},
                    "Id": Match.any_value(),
                }
            ],
        },
    )
    t.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": Match.array_with(["sqs:SendMessage"]),
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Condition": {"ArnEquals": {"aws:SourceArn": Match.any_value()}},
                            }
                        )
                    ]
                )
            },
            "Queues": [{"Ref": Match.string_like_regexp("^Target")}],
        },
    )


def _eventbridge_service_template(tmp_path: Path, context: dict[str, Any] | None = None) -> Template:
    stack = _stack(tmp_path, context)
    source, success = events.EventBus(stack, "Source"), events.EventBus(stack, "Success")
    EventBridgeService(
        stack, "backtosource", source_bus=source, success_bus=success, alarm_topic=AlarmTopic(stack, "A")
    )
    return Template.from_stack(stack)


def test_eventbridge_service_targets_the_function_without_provisioned_concurrency(tmp_path: Path) -> None:
    t = _eventbridge_service_template(tmp_path)
    t.resource_count_is("AWS::Lambda::Alias", 0)
    t.has_resource_properties(
        "AWS::Lambda::EventInvokeConfig",
        {
            "Qualifier": "$LATEST",
            "MaximumRetryAttempts": 2,
            "MaximumEventAgeInSeconds": 3600,
            "DestinationConfig": {
                "OnSuccess": {"Destination": {"Fn::GetAtt": [Match.string_like_regexp("^Success"), "Arn"]}},
                "OnFailure": {
                    "Destination": {
                        "Fn::GetAtt": [Match.string_like_regexp("^backtosourceSubscriptionOnFailure"), "Arn"]
                    }
                },
            },
        },
    )


def test_eventbridge_service_uses_a_fixed_alias_when_provisioned_concurrency_is_asked(tmp_path: Path) -> None:
    # GIVEN -c provisionedConcurrency=2
    t = _eventbridge_service_template(tmp_path, {"provisionedConcurrency": "2"})
    # THEN a deterministic alias carries it, and both the rule and the async config point at the alias
    t.has_resource_properties(
        "AWS::Lambda::Alias",
        {"Name": "live", "ProvisionedConcurrencyConfig": {"ProvisionedConcurrentExecutions": 2}},
    )
    (alias_id,) = t.find_resources("AWS::Lambda::Alias")
    t.has_resource_properties("AWS::Events::Rule", {"Targets": [Match.object_like({"Arn": {"Ref": alias_id}})]})
    (config_id,) = t.find_resources("AWS::Lambda::EventInvokeConfig")
    assert config_id.startswith("backtosourceAlias")


def test_provisioned_concurrency_must_not_be_negative(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="provisionedConcurrency must be >= 0"):
        _eventbridge_service_template(tmp_path, {"provisionedConcurrency": "-1"})


def test_architecture_context_switches_function_and_image_platform_together(tmp_path: Path) -> None:
    # GIVEN -c architecture=arm64
    stack = _stack(tmp_path, {"architecture": "arm64"})
    ContainerFunction(stack, "Fn", service="backtosource", handler="backtosource.handler.handler")
    assembly = stack.node.root.synth()  # type: ignore[attr-defined]
    # THEN the function runs on arm64 and its image is built for linux/arm64
    Template.from_stack(stack).has_resource_properties("AWS::Lambda::Function", {"Architectures": ["arm64"]})
    manifest = json.loads((Path(assembly.directory) / "TestStack.assets.json").read_text())
    (image,) = manifest["dockerImages"].values()
    assert image["source"]["platform"] == "linux/arm64"


def test_an_unknown_architecture_is_refused(tmp_path: Path) -> None:
    stack = _stack(tmp_path, {"architecture": "sparc"})
    with pytest.raises(ValueError, match="architecture must be one of"):
        config.architecture(stack)


def test_the_alarm_topic_subscribes_the_alarm_email_from_context(tmp_path: Path) -> None:
    # GIVEN/WHEN an alarm topic with and without context alarmEmail
    with_email = _stack(tmp_path / "a", {config.CTX_ALARM_EMAIL: "ops@example.com"})
    AlarmTopic(with_email, "Alarms")
    without = _stack(tmp_path / "b")
    AlarmTopic(without, "Alarms")
    # THEN only the first has an e-mail subscription to the topic
    Template.from_stack(with_email).has_resource_properties(
        "AWS::SNS::Subscription",
        {"Protocol": "email", "Endpoint": "ops@example.com", "TopicArn": {"Ref": Match.string_like_regexp("Alarms")}},
    )
    Template.from_stack(without).resource_count_is("AWS::SNS::Subscription", 0)


def test_an_alarm_email_that_is_not_an_address_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="alarmEmail"):
        AlarmTopic(_stack(tmp_path, {config.CTX_ALARM_EMAIL: "not-an-address"}), "Alarms")


@pytest.mark.parametrize(("value", "retained"), [(None, True), ("true", True), ("false", False), (False, False)])
def test_data_is_retained_unless_context_says_otherwise(tmp_path: Path, value: Any, retained: bool) -> None:
    stack = _stack(tmp_path, {} if value is None else {config.CTX_RETAIN_DATA: value})
    assert config.retain_data(stack) is retained


def test_a_retain_data_value_that_is_not_a_boolean_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="retainData"):
        config.retain_data(_stack(tmp_path, {config.CTX_RETAIN_DATA: "maybe"}))

"""The assembly reader, against a synthesised fixture app (tests/unit/localrun/fixtures/cdkapp/app.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from localrun.assembly import AssemblyError, read_assembly
from localrun.intrinsics import Physical, Resolver, generated_name
from localrun.model import Topology

ASSEMBLY = Path(__file__).parent / "fixtures" / "assembly"


@pytest.fixture(scope="module")
def topology() -> Topology:
    return read_assembly(ASSEMBLY)


def by_logical(items: Any, prefix: str) -> Any:
    return next(i for i in items if i.logical_id.startswith(prefix))


def test_functions_carry_service_handler_env_and_limits(topology: Topology) -> None:
    # GIVEN the fixture assembly WHEN read
    fn = by_logical(topology.functions, "backtosourcelambda")
    # THEN the function is typed, with its image CMD, resolved env (cross-stack import) and limits
    assert (fn.service, fn.handler, fn.timeout_s, fn.memory_mb) == (
        "backtosource",
        "backtosource.handler.handler",
        10,
        256,
    )
    output_bus = by_logical(topology.buses, "OutputBus")
    assert fn.env == {"BUS_NAME": output_bus.name, "PLAIN": "x"}
    assert fn.name.startswith("ServicesStack-backtosourcelambda") and len(fn.name) <= 64
    assert fn.asset_dir is not None and Path(fn.asset_dir, "Dockerfile").is_file()


def test_non_image_functions_are_skipped_with_a_reason(topology: Topology) -> None:
    # GIVEN CDK's inline bucket-notifications handler THEN it is not a runnable function
    assert all(f.handler for f in topology.functions)
    assert any("BucketNotificationsHandler" in s for s in topology.skipped)


def test_queues_with_redrive_and_visibility(topology: Topology) -> None:
    source, dlq = by_logical(topology.queues, "SourceQueue"), by_logical(topology.queues, "SourceDlq")
    assert source.visibility_timeout_s == 60
    assert source.redrive is not None
    assert (source.redrive.dlq_arn, source.redrive.max_receive_count) == (dlq.arn, 3)
    assert dlq.redrive is None and dlq.visibility_timeout_s == 30


def test_named_and_generated_resource_names(topology: Topology) -> None:
    # An explicit name wins; otherwise <Stack>-<LogicalId>-<SUFFIX>
    assert by_logical(topology.buses, "SourceBus").name == "source_bus"
    bucket = topology.buckets[0]
    assert bucket.name.startswith("errorsstack-uploads") and bucket.name == bucket.name.lower()
    assert read_assembly(ASSEMBLY).queues == topology.queues  # stable across reads


def test_tables_with_gsi(topology: Topology) -> None:
    products = by_logical(topology.tables, "Products")
    assert products.create_args["GlobalSecondaryIndexes"][0]["IndexName"] == "category-index"
    assert products.create_args["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]


def test_rules_targets_retry_and_dlq(topology: Topology) -> None:
    rule = by_logical(topology.rules, "backtosourcerule")
    fn = by_logical(topology.functions, "backtosourcelambda")
    assert rule.bus_name == "source_bus"
    assert json.loads(rule.pattern or "{}") == {"source": ["backtosource"]}
    [target] = rule.targets
    assert (target.arn, target.max_retries) == (fn.arn, 4)
    assert target.dlq_arn == by_logical(topology.queues, "ServiceDlq").arn


def test_event_invoke_config_destinations(topology: Topology) -> None:
    fn = by_logical(topology.functions, "backtosourcelambda")
    cfg = topology.invoke_config(fn.name)
    assert (cfg.max_retries, cfg.max_event_age_s) == (1, 300)
    assert cfg.on_success == by_logical(topology.buses, "SourceBus").arn
    assert cfg.on_failure == by_logical(topology.queues, "ServiceDlq").arn
    # a function without a config gets AWS's defaults
    consumer = by_logical(topology.functions, "Consumer")
    assert (
        topology.invoke_config(consumer.name).max_retries,
        topology.invoke_config(consumer.name).max_event_age_s,
    ) == (2, 21600)


def test_function_dlq_esm_notifications_and_subscriptions(topology: Topology) -> None:
    async_fn = by_logical(topology.functions, "AsyncFn")
    assert async_fn.dlq_arn == by_logical(topology.queues, "LambdaDlq").arn
    [esm] = topology.event_source_mappings
    assert (esm.batch_size, esm.batching_window_s, esm.report_batch_item_failures) == (5, 2, True)
    assert esm.function_name == by_logical(topology.functions, "Consumer").name
    [notification] = topology.bucket_notifications
    [config] = notification.configuration["LambdaFunctionConfigurations"]
    assert config["LambdaFunctionArn"] == async_fn.arn
    assert config["Filter"]["Key"]["FilterRules"] == [{"Name": "suffix", "Value": ".csv"}]
    [sub] = topology.subscriptions
    assert (sub.protocol, sub.endpoint, sub.topic_arn) == ("lambda", async_fn.arn, topology.topics[0].arn)
    assert sub.dlq_arn == async_fn.dlq_arn


def test_rest_routes_from_resource_tree(topology: Topology) -> None:
    [api] = topology.rest_apis
    api_fn = by_logical(topology.functions, "ApiFn")
    assert api.stage == "prod"
    assert {(r.path, r.method) for r in api.routes} == {
        ("/product", "GET"),
        ("/product", "POST"),
        ("/product/{id}", "ANY"),
        ("/files/{proxy+}", "GET"),
        ("/me", "ANY"),
        ("/admin", "GET"),
    }
    assert {r.function_name for r in api.routes} == {api_fn.name}


def test_cognito_authorizers_and_the_user_pools_they_trust(topology: Topology) -> None:
    [api] = topology.rest_apis
    routes = {r.path: r for r in api.routes}
    [pool] = topology.user_pools
    # THEN the authorizer names the pool (by name: Cognito makes the id), the header and the method's scopes
    assert routes["/product"].authorizer is None
    me, admin = routes["/me"].authorizer, routes["/admin"].authorizer
    assert me is not None and me == admin
    assert (me.header, me.pool_names, me.aud_pattern) == ("Authorization", (pool.name,), None)
    assert (routes["/me"].scopes, routes["/admin"].scopes) == ((), ("aws.cognito.signin.user.admin",))
    # AND the pool, its client and its group become CreateUserPool / CreateUserPoolClient / CreateGroup arguments
    assert pool.name.startswith("ErrorsStack-Users")
    assert pool.create_args["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    [client] = topology.user_pool_clients
    assert client.pool_name == pool.name
    assert set(client.create_args["ExplicitAuthFlows"]) == {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    [group] = topology.user_pool_groups
    assert (group.pool_name, group.name) == (pool.name, "admins")


def test_stack_selection_pulls_in_dependencies() -> None:
    # WHEN only ServicesStack is asked for THEN BusesStack (which it imports from) comes too
    topology = read_assembly(ASSEMBLY, ["ServicesStack"])
    assert topology.stacks == ("BusesStack", "ServicesStack")
    assert not topology.tables
    with pytest.raises(AssemblyError, match="no stack 'Nope'"):
        read_assembly(ASSEMBLY, ["Nope"])


def test_missing_assembly_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AssemblyError, match="synthesise"):
        read_assembly(tmp_path)


def _resolver(template: dict[str, Any], exports: dict[str, Any] | None = None) -> Resolver:
    def physical_of(logical_id: str) -> Physical:
        return Physical(f"phys-{logical_id}", {"Arn": f"arn:x:{logical_id}"})

    return Resolver("S", template, physical_of, exports or {})


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ({"Ref": "Q"}, "phys-Q"),
        ({"Fn::GetAtt": ["Q", "Arn"]}, "arn:x:Q"),
        ({"Fn::GetAtt": "Q.Arn"}, "arn:x:Q"),
        ({"Fn::Join": ["-", ["a", {"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"}]]}, "a-us-east-1-000000000000"),
        ({"Fn::Sub": "${AWS::StackName}/${Q}/${Q.Arn}/${!Literal}"}, "S/phys-Q/arn:x:Q/${Literal}"),
        ({"Fn::Sub": ["${x}-${Q}", {"x": {"Ref": "AWS::Partition"}}]}, "aws-phys-Q"),
        ({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, "b"),
        ({"Fn::ImportValue": "Exp"}, "exported"),
        ({"Fn::If": ["IsProd", "p", "d"]}, "d"),
        ({"Ref": "Param"}, "default-value"),
        ([{"Ref": "AWS::NoValue"}, "kept"], ["kept"]),
    ],
)
def test_intrinsics(expr: Any, expected: Any) -> None:
    template = {
        "Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
        "Parameters": {"Param": {"Type": "String", "Default": "default-value"}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Param"}, "prod"]}},
    }
    assert _resolver(template, {"Exp": "exported"}).resolve(expr) == expected


def test_generated_names_respect_service_limits() -> None:
    long = "L" * 100
    assert len(generated_name("Stack", long, "AWS::Lambda::Function")) == 64
    assert len(generated_name("Stack", long, "AWS::SQS::Queue", fifo=True)) == 80
    assert generated_name("Stack", long, "AWS::SQS::Queue", fifo=True).endswith(".fifo")
    assert generated_name("Stack", "Q", "AWS::SQS::Queue") == generated_name("Stack", "Q", "AWS::SQS::Queue")

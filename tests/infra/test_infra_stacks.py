"""Per-stack wiring: rule patterns, destinations, DLQs, event source mappings, tables, API routes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_cdk.assertions import Match, Template

StackTemplate = Callable[[str], Template]


def _only(template: Template, resource_type: str, props: Any = None) -> tuple[str, Mapping[str, Any]]:
    found = template.find_resources(resource_type, {"Properties": props} if props is not None else None)
    assert len(found) == 1, f"expected one {resource_type} matching {props}, found {list(found)}"
    return next(iter(found.items()))


def _function_id(template: Template, handler: str) -> str:
    logical_id, _ = _only(template, "AWS::Lambda::Function", {"ImageConfig": {"Command": [handler]}})
    return logical_id


def _getatt(logical_id: str, attr: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attr]}


# --- EventBridgeServicesStack -----------------------------------------------------------------------------------


def test_eventbridge_services_rules_match_their_service_id_on_the_source_bus(stack_template: StackTemplate) -> None:
    t = stack_template("EventBridgeServicesStack")
    buses = t.find_resources("AWS::Events::EventBus")
    assert len(buses) == 2
    source_bus = next(k for k in buses if k.startswith("SourceBus"))
    for service in ("backtosource", "toanother"):
        fn = _function_id(t, f"{service}.handler.handler")
        _, rule = _only(t, "AWS::Events::Rule", {"EventPattern": {"source": [service]}})
        assert rule["Properties"]["EventBusName"] == {"Ref": source_bus}
        target = rule["Properties"]["Targets"][0]
        assert target["Arn"] == _getatt(fn)
        assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].startswith(f"{service}SubscriptionTargetDlq")


def test_eventbridge_services_send_success_to_their_bus_and_failures_to_a_separate_queue(
    stack_template: StackTemplate,
) -> None:
    t = stack_template("EventBridgeServicesStack")
    buses = t.find_resources("AWS::Events::EventBus")
    source_bus = next(k for k in buses if k.startswith("SourceBus"))
    output_bus = next(k for k in buses if k.startswith("OutputBus"))
    for service, success_bus in (("backtosource", source_bus), ("toanother", output_bus)):
        fn = _function_id(t, f"{service}.handler.handler")
        _, config = _only(t, "AWS::Lambda::EventInvokeConfig", {"FunctionName": {"Ref": fn}})
        props = config["Properties"]
        assert props["DestinationConfig"]["OnSuccess"]["Destination"] == _getatt(success_bus)
        on_failure = props["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        _, rule = _only(t, "AWS::Events::Rule", {"EventPattern": {"source": [service]}})
        target_dlq = rule["Properties"]["Targets"][0]["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
        # THEN the two failure record formats never share a queue
        assert on_failure != target_dlq
        assert t.to_json()["Resources"][on_failure]["Type"] == "AWS::SQS::Queue"
        assert props["MaximumRetryAttempts"] == 2
        assert props["MaximumEventAgeInSeconds"] == 3600
        assert props["Qualifier"] == "$LATEST"


def test_eventbridge_services_archive_both_buses(stack_template: StackTemplate) -> None:
    t = stack_template("EventBridgeServicesStack")
    t.resource_count_is("AWS::Events::Archive", 2)
    t.all_resources_properties("AWS::Events::Archive", {"RetentionDays": 5})


# --- error-handling stacks -------------------------------------------------------------------------------------

DEMO_HANDLER = "dlq_demo.handlers.process.handler"


def test_sqs_dlq_stack_consumes_with_partial_batches_and_redrives_after_three_receives(
    stack_template: StackTemplate,
) -> None:
    t = stack_template("SQSDLQStack")
    fn = _function_id(t, DEMO_HANDLER)
    _, esm = _only(t, "AWS::Lambda::EventSourceMapping")
    assert esm["Properties"]["FunctionName"] == {"Ref": fn}
    assert esm["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert esm["Properties"]["BatchSize"] == 10
    assert esm["Properties"]["MaximumBatchingWindowInSeconds"] == 0
    source_id = esm["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]
    source = t.to_json()["Resources"][source_id]["Properties"]
    # 6 x 15 s function timeout (the seed used 20 s)
    assert source["VisibilityTimeout"] == 90
    assert source["RedrivePolicy"]["maxReceiveCount"] == 3
    assert t.to_json()["Resources"][fn]["Properties"]["Timeout"] == 15


def test_lambda_dlq_stack_uses_a_function_dlq_behind_an_sns_topic(stack_template: StackTemplate) -> None:
    t = stack_template("LambdaDlqStack")
    fn_id = _function_id(t, DEMO_HANDLER)
    fn = t.to_json()["Resources"][fn_id]["Properties"]
    dlq = fn["DeadLetterConfig"]["TargetArn"]["Fn::GetAtt"][0]
    assert dlq.startswith("FunctionDlq")
    _, config = _only(t, "AWS::Lambda::EventInvokeConfig")
    assert "DestinationConfig" not in config["Properties"]
    _, sub = _only(t, "AWS::SNS::Subscription")
    assert sub["Properties"]["Protocol"] == "lambda"
    assert sub["Properties"]["Endpoint"] == _getatt(fn_id)
    assert sub["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0].startswith(
        "SourceSubscriptionDlq"
    )


def test_lambda_destination_stack_routes_success_and_failure_to_separate_queues(stack_template: StackTemplate) -> None:
    t = stack_template("LambdaDestinationDlqStack")
    fn_id = _function_id(t, DEMO_HANDLER)
    assert "DeadLetterConfig" not in t.to_json()["Resources"][fn_id]["Properties"]
    _, config = _only(t, "AWS::Lambda::EventInvokeConfig")
    dest = config["Properties"]["DestinationConfig"]
    assert dest["OnSuccess"]["Destination"]["Fn::GetAtt"][0].startswith("OnSuccess")
    assert dest["OnFailure"]["Destination"]["Fn::GetAtt"][0].startswith("OnFailure")
    t.resource_count_is("AWS::SNS::Subscription", 1)


def test_error_handling_stacks_can_share_an_account(stack_template: StackTemplate) -> None:
    # The seed's three stacks all named their function "dlq_lambda" (and two their topic "lambda_topic").
    for name in ("SQSDLQStack", "LambdaDlqStack", "LambdaDestinationDlqStack"):
        t = stack_template(name)
        t.all_resources_properties("AWS::Lambda::Function", {"FunctionName": Match.absent()})
        t.all_resources_properties("AWS::SNS::Topic", {"TopicName": Match.absent()})


# --- InventoryStack --------------------------------------------------------------------------------------------


def test_inventory_csv_uploads_notify_the_ingest_function(stack_template: StackTemplate) -> None:
    t = stack_template("InventoryStack")
    ingest = _function_id(t, "inventory_ingest.handlers.ingest_csv.handler")
    _, notifications = _only(t, "Custom::S3BucketNotifications")
    # Every spelling of .csv (S3 suffix filters are case-sensitive): .csv, .CSV, .Csv, ...
    suffixes = [".csv", ".csV", ".cSv", ".cSV", ".Csv", ".CsV", ".CSv", ".CSV"]
    assert notifications["Properties"]["NotificationConfiguration"] == {
        "LambdaFunctionConfigurations": [
            {
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": suffix}]}},
                "LambdaFunctionArn": _getatt(ingest),
            }
            for suffix in suffixes
        ]
    }
    env = t.to_json()["Resources"][ingest]["Properties"]["Environment"]["Variables"]
    assert env["REJECTS_PREFIX"] == "rejects/"
    assert env["INVENTORY_QUEUE_URL"]["Ref"].startswith("UpdatesQueue")
    # S3 invokes asynchronously: failures end in a queue, not nowhere
    _, config = _only(t, "AWS::Lambda::EventInvokeConfig", {"FunctionName": {"Ref": ingest}})
    assert config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0].startswith(
        "IngestFailures"
    )


def test_inventory_updater_consumes_the_queue_in_partial_batches(stack_template: StackTemplate) -> None:
    t = stack_template("InventoryStack")
    updater = _function_id(t, "inventory_updater.handlers.consume_updates.handler")
    t.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionName": {"Ref": updater},
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": 5,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "EventSourceArn": {"Fn::GetAtt": [Match.string_like_regexp("^UpdatesQueue"), "Arn"]},
        },
    )
    t.has_resource_properties(
        "AWS::SQS::Queue",
        {"VisibilityTimeout": 185, "RedrivePolicy": {"maxReceiveCount": 5, "deadLetterTargetArn": Match.any_value()}},
    )
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "ApproximateAgeOfOldestMessage", "Threshold": 600}
    )


def test_inventory_table_is_keyed_by_product_and_location(stack_template: StackTemplate) -> None:
    t = stack_template("InventoryStack")
    table_id, table = _only(t, "AWS::DynamoDB::Table")
    assert table["Properties"]["KeySchema"] == [
        {"AttributeName": "product_id", "KeyType": "HASH"},
        {"AttributeName": "location", "KeyType": "RANGE"},
    ]
    assert table["Properties"]["BillingMode"] == "PAY_PER_REQUEST"
    updater = _function_id(t, "inventory_updater.handlers.consume_updates.handler")
    env = t.to_json()["Resources"][updater]["Properties"]["Environment"]["Variables"]
    assert env["INVENTORY_TABLE_NAME"] == {"Ref": table_id}


def _dynamodb_actions(t: Template, handler: str) -> set[str]:
    """Every DynamoDB action granted to the role of the function running ``handler``."""
    role = t.to_json()["Resources"][_function_id(t, handler)]["Properties"]["Role"]["Fn::GetAtt"][0]
    actions: set[str] = set()
    for policy in t.find_resources("AWS::IAM::Policy").values():
        if {"Ref": role} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            actions |= {a for a in listed if a.startswith("dynamodb:")}
    return actions


def test_inventory_updater_may_only_put_and_get_levels(stack_template: StackTemplate) -> None:
    t = stack_template("InventoryStack")
    assert _dynamodb_actions(t, "inventory_updater.handlers.consume_updates.handler") == {
        "dynamodb:PutItem",
        "dynamodb:GetItem",
    }


def test_inventory_updater_metrics_are_namespaced_per_stack(stack_template: StackTemplate) -> None:
    t = stack_template("InventoryStack")
    updater = _function_id(t, "inventory_updater.handlers.consume_updates.handler")
    env = t.to_json()["Resources"][updater]["Properties"]["Environment"]["Variables"]
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "InventoryStack"


def test_inventory_ingest_writes_only_under_the_rejects_prefix(stack_template: StackTemplate) -> None:
    t = stack_template("InventoryStack")
    policies = t.find_resources("AWS::IAM::Policy")
    statements = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"] if s.get("Sid")]
    writes = next(s for s in statements if s["Sid"] == "WriteRejectsReports")
    assert writes["Resource"]["Fn::Join"][1][1] == "/rejects/*"
    assert set(writes["Action"]) == {"s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}


# --- EcommerceStack --------------------------------------------------------------------------------------------


def test_ecommerce_checkout_consumer_may_only_put_and_get_orders(stack_template: StackTemplate) -> None:
    t = stack_template("EcommerceStack")
    assert _dynamodb_actions(t, "ordering.handlers.consume_checkout.handler") == {
        "dynamodb:PutItem",
        "dynamodb:GetItem",
    }


def test_ecommerce_api_5xx_answers_raise_an_alarm(stack_template: StackTemplate) -> None:
    t = stack_template("EcommerceStack")
    api_id, _ = _only(t, "AWS::ApiGateway::RestApi")
    _, alarm = _only(t, "AWS::CloudWatch::Alarm", {"MetricName": "5XXError"})
    props = alarm["Properties"]
    assert (props["Namespace"], props["Statistic"], props["Threshold"], props["Period"]) == (
        "AWS/ApiGateway",
        "Sum",
        1,
        60,
    )
    assert props["AlarmActions"] and props["Dimensions"][0]["Name"] == "ApiName"
    assert api_id


def test_ecommerce_tables_match_the_conventions(stack_template: StackTemplate) -> None:
    t = stack_template("EcommerceStack")
    tables = {k: v["Properties"] for k, v in t.find_resources("AWS::DynamoDB::Table").items()}
    by_prefix = {
        prefix: next(p for k, p in tables.items() if k.startswith(prefix)) for prefix in ("Product", "Basket", "Order")
    }
    assert by_prefix["Product"]["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert by_prefix["Product"]["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "category-index",
            "KeySchema": [{"AttributeName": "category", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    assert by_prefix["Basket"]["KeySchema"] == [{"AttributeName": "userName", "KeyType": "HASH"}]
    assert by_prefix["Order"]["KeySchema"] == [
        {"AttributeName": "userName", "KeyType": "HASH"},
        {"AttributeName": "orderKey", "KeyType": "RANGE"},
    ]
    idempotency = next(p for k, p in tables.items() if k.startswith("Idempotency"))
    assert idempotency["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert idempotency["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_ecommerce_one_rest_api_with_proxy_routes_per_service(stack_template: StackTemplate) -> None:
    t = stack_template("EcommerceStack")
    t.resource_count_is("AWS::ApiGateway::RestApi", 1)
    t.has_resource_properties("AWS::ApiGateway::Stage", {"StageName": "prod", "TracingEnabled": True})
    resources = t.find_resources("AWS::ApiGateway::Resource")
    methods = t.find_resources("AWS::ApiGateway::Method")
    routes = {
        "product": "product.handlers.api.handler",
        "basket": "basket.handlers.api.handler",
        "order": "ordering.handlers.api.handler",
    }
    for path, handler in routes.items():
        fn = _function_id(t, handler)
        top = next(k for k, r in resources.items() if r["Properties"]["PathPart"] == path)
        proxy = next(
            k
            for k, r in resources.items()
            if r["Properties"]["PathPart"] == "{proxy+}" and r["Properties"]["ParentId"] == {"Ref": top}
        )
        for resource in (top, proxy):
            method = next(
                m["Properties"]
                for m in methods.values()
                if m["Properties"]["ResourceId"] == {"Ref": resource} and m["Properties"]["HttpMethod"] == "ANY"
            )
            assert method["Integration"]["Type"] == "AWS_PROXY"
            assert _getatt(fn) in method["Integration"]["Uri"]["Fn::Join"][1]


def test_ecommerce_checkout_rule_feeds_the_order_queue_and_ordering_consumer(stack_template: StackTemplate) -> None:
    t = stack_template("EcommerceStack")
    _, rule = _only(
        t,
        "AWS::Events::Rule",
        {"EventPattern": {"source": ["com.swn.basket.checkoutbasket"], "detail-type": ["CheckoutBasket"]}},
    )
    target = rule["Properties"]["Targets"][0]
    queue = target["Arn"]["Fn::GetAtt"][0]
    assert queue.startswith("OrderQueue")
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].startswith("CheckoutRuleTargetDlq")
    consumer = _function_id(t, "ordering.handlers.consume_checkout.handler")
    t.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "FunctionName": {"Ref": consumer},
            "EventSourceArn": _getatt(queue),
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "BatchSize": 10,
            "MaximumBatchingWindowInSeconds": 0,
        },
    )
    order_queue = t.to_json()["Resources"][queue]["Properties"]
    assert order_queue["RedrivePolicy"]["maxReceiveCount"] == 5
    assert order_queue["VisibilityTimeout"] == 180


def test_ecommerce_price_changed_rule_invokes_basket_with_retries_and_two_failure_queues(
    stack_template: StackTemplate,
) -> None:
    t = stack_template("EcommerceStack")
    fn = _function_id(t, "basket.handlers.consume_price_changed.handler")
    _, rule = _only(
        t,
        "AWS::Events::Rule",
        {"EventPattern": {"source": ["com.swn.product"], "detail-type": ["ProductPriceChanged"]}},
    )
    target = rule["Properties"]["Targets"][0]
    assert target["Arn"] == _getatt(fn)
    assert target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0].startswith("PriceChangedRuleTargetDlq")
    _, config = _only(t, "AWS::Lambda::EventInvokeConfig", {"FunctionName": {"Ref": fn}})
    assert config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0].startswith(
        "PriceChangedRuleOnFailure"
    )


def test_ecommerce_functions_get_the_names_of_their_tables_and_bus(stack_template: StackTemplate) -> None:
    t = stack_template("EcommerceStack")
    resources = t.to_json()["Resources"]
    tables = {k[: k.index("Table")]: k for k in t.find_resources("AWS::DynamoDB::Table")}
    bus = next(iter(t.find_resources("AWS::Events::EventBus")))
    product_env = resources[_function_id(t, "product.handlers.api.handler")]["Properties"]["Environment"]["Variables"]
    assert product_env["PRODUCT_TABLE_NAME"] == {"Ref": tables["Product"]}
    assert product_env["EVENT_BUS_NAME"] == {"Ref": bus}
    for handler in ("basket.handlers.api.handler", "basket.handlers.consume_price_changed.handler"):
        env = resources[_function_id(t, handler)]["Properties"]["Environment"]["Variables"]
        assert env["BASKET_TABLE_NAME"] == {"Ref": tables["Basket"]}
        assert env["PRODUCT_TABLE_NAME"] == {"Ref": tables["Product"]}
    basket_api_env = resources[_function_id(t, "basket.handlers.api.handler")]["Properties"]["Environment"]["Variables"]
    assert basket_api_env["EVENT_BUS_NAME"] == {"Ref": bus}
    assert basket_api_env["IDEMPOTENCY_TABLE_NAME"] == {"Ref": tables["Idempotency"]}
    for handler in ("ordering.handlers.api.handler", "ordering.handlers.consume_checkout.handler"):
        env = resources[_function_id(t, handler)]["Properties"]["Environment"]["Variables"]
        assert env["ORDER_TABLE_NAME"] == {"Ref": tables["Order"]}


# --- EcommerceStack: who may call the API ------------------------------------------------------------------------
PUBLIC_GETS = {
    "/product",
    "/product/{proxy+}",
    *(f"/{service}/{doc}" for service in ("product", "basket", "order") for doc in ("openapi.json", "docs")),
}


def _method_paths(t: Template) -> dict[str, tuple[str, str, Mapping[str, Any]]]:
    """logical id -> (resource path, HTTP method, the method's template entry), for every API method."""
    resources = t.find_resources("AWS::ApiGateway::Resource")

    def path_of(ref: Any) -> str:
        if not isinstance(ref, dict) or "Ref" not in ref:
            return ""  # the root resource (Fn::GetAtt RootResourceId)
        props = resources[ref["Ref"]]["Properties"]
        return f"{path_of(props['ParentId'])}/{props['PathPart']}"

    return {
        logical_id: (path_of(m["Properties"]["ResourceId"]), m["Properties"]["HttpMethod"], m)
        for logical_id, m in t.find_resources("AWS::ApiGateway::Method").items()
    }


def test_ecommerce_every_method_but_the_public_reads_needs_a_user_pool_token(stack_template: StackTemplate) -> None:
    t = stack_template("EcommerceStack")
    authorizer, _ = _only(t, "AWS::ApiGateway::Authorizer")
    public, guarded = set(), set()
    for path, http_method, method in _method_paths(t).values():
        props = method["Properties"]
        if props["AuthorizationType"] == "NONE":
            public.add(path)
            assert http_method == "GET", (path, http_method)
        else:
            guarded.add((path, http_method))
            assert props["AuthorizationType"] == "COGNITO_USER_POOLS", path
            assert props["AuthorizerId"] == {"Ref": authorizer}, path
    # THEN reading products and the API documents is public, everything else goes through the authorizer
    assert public == PUBLIC_GETS
    assert guarded == {(f"/{s}{p}", "ANY") for s in ("product", "basket", "order") for p in ("", "/{proxy+}")}


def test_ecommerce_authorizer_trusts_the_stacks_user_pool(stack_template: StackTemplate) -> None:
    t = stack_template("EcommerceStack")
    pool, _ = _only(t, "AWS::Cognito::UserPool")
    _, authorizer = _only(t, "AWS::ApiGateway::Authorizer")
    assert authorizer["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["Properties"]["IdentitySource"] == "method.request.header.Authorization"
    assert authorizer["Properties"]["ProviderARNs"] == [_getatt(pool)]


def test_ecommerce_user_pool_signs_in_by_username_with_strong_passwords_and_no_self_sign_up(
    stack_template: StackTemplate,
) -> None:
    t = stack_template("EcommerceStack")
    pool, found = _only(t, "AWS::Cognito::UserPool")
    props = found["Properties"]
    assert "UsernameAttributes" not in props and "AliasAttributes" not in props  # the username is the sign-in
    assert {"Name": "email", "Required": True, "Mutable": True} in props["Schema"]
    assert props["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert props["Policies"]["PasswordPolicy"] == {
        "MinimumLength": 12,
        "RequireLowercase": True,
        "RequireUppercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 3,
    }
    _, client = _only(t, "AWS::Cognito::UserPoolClient")
    assert client["Properties"]["UserPoolId"] == {"Ref": pool}
    assert set(client["Properties"]["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert client["Properties"]["GenerateSecret"] is False
    assert "AllowedOAuthFlows" not in client["Properties"]  # no hosted UI, no callback URLs
    _, group = _only(t, "AWS::Cognito::UserPoolGroup")
    assert (group["Properties"]["GroupName"], group["Properties"]["UserPoolId"]) == ("admins", {"Ref": pool})
    outputs = t.find_outputs("*")
    assert outputs["UserPoolId"]["Value"] == {"Ref": pool}
    assert "UserPoolClientId" in outputs


def _suppressed(entry: Mapping[str, Any]) -> set[str]:
    rules = entry.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    return {r["id"] for r in rules}


def test_ecommerce_apig4_and_cog4_are_not_suppressed_but_for_the_public_reads(stack_template: StackTemplate) -> None:
    t = stack_template("EcommerceStack")
    nag_rules = {"AwsSolutions-APIG4", "AwsSolutions-COG4"}
    for _, api in t.find_resources("AWS::ApiGateway::RestApi").items():
        assert not _suppressed(api) & nag_rules
    for path, http_method, method in _method_paths(t).values():
        if method["Properties"]["AuthorizationType"] == "NONE":
            assert _suppressed(method) >= nag_rules and (path, http_method) in {(p, "GET") for p in PUBLIC_GETS}
        else:
            assert not _suppressed(method) & nag_rules, path

"""Read a CDK cloud assembly (``cdk.out``) into a :class:`~localrun.model.Topology`.

Pure: it reads files and nothing else. Physical names are decided here (see :mod:`localrun.intrinsics`), so every
intrinsic resolves to the name the provisioner will create.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localrun.intrinsics import DEFAULT_ENDPOINT, NAME_PROPERTY, Physical, Resolver, generated_name, physical
from localrun.model import (
    DEFAULT_ASYNC_RETRIES,
    DEFAULT_ESM_BATCH_SIZE,
    DEFAULT_LAMBDA_MEMORY_MB,
    DEFAULT_LAMBDA_TIMEOUT_S,
    DEFAULT_MAX_EVENT_AGE_S,
    DEFAULT_VISIBILITY_TIMEOUT_S,
    Authorizer,
    Bucket,
    BucketNotification,
    Bus,
    EventInvokeConfig,
    EventSourceMapping,
    Function,
    Queue,
    Redrive,
    RestApi,
    Route,
    Rule,
    RuleTarget,
    Subscription,
    Table,
    Topic,
    Topology,
    UserPool,
    UserPoolClient,
    UserPoolGroup,
    bus_name_from_arn,
    function_name_from_arn,
)


class AssemblyError(ValueError):
    """The cloud assembly cannot be read."""


@dataclass
class _Stack:
    name: str
    template: dict[str, Any]
    assets: dict[str, Any]
    directory: Path
    dependencies: tuple[str, ...]
    resolver: Resolver | None = None
    physicals: dict[str, Physical] = field(default_factory=dict)

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template.get("Resources", {})
        return resources


def _load_stacks(cdk_out: Path) -> dict[str, _Stack]:
    manifest_path = cdk_out / "manifest.json"
    if not manifest_path.is_file():
        raise AssemblyError(f"{manifest_path} not found: synthesise the CDK app first (npx cdk synth)")
    manifest = json.loads(manifest_path.read_text())
    stacks: dict[str, _Stack] = {}
    artifacts: dict[str, Any] = manifest.get("artifacts", {})
    for artifact_id, artifact in artifacts.items():
        kind = artifact.get("type")
        if kind == "cdk:cloud-assembly":  # a Stage: a nested assembly
            nested = cdk_out / artifact["properties"]["directoryName"]
            stacks.update(_load_stacks(nested))
            continue
        if kind != "aws:cloudformation:stack":
            continue
        props = artifact.get("properties", {})
        template = json.loads((cdk_out / props["templateFile"]).read_text())
        assets: dict[str, Any] = {}
        for dep in artifact.get("dependencies", []):
            dep_artifact = artifacts.get(dep, {})
            if dep_artifact.get("type") == "cdk:asset-manifest":
                assets = json.loads((cdk_out / dep_artifact["properties"]["file"]).read_text())
        name = props.get("stackName") or artifact.get("displayName") or artifact_id
        deps = tuple(
            d
            for d in artifact.get("dependencies", [])
            if artifacts.get(d, {}).get("type") == "aws:cloudformation:stack"
        )
        stacks[artifact_id] = _Stack(name=name, template=template, assets=assets, directory=cdk_out, dependencies=deps)
    return stacks


def _ordered(stacks: Mapping[str, _Stack]) -> list[str]:
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(sid: str) -> None:
        if sid in ordered:
            return
        if sid in visiting:
            raise AssemblyError(f"stack dependency cycle through {sid}")
        visiting.add(sid)
        for dep in stacks[sid].dependencies:
            if dep in stacks:
                visit(dep)
        ordered.append(sid)

    for sid in stacks:
        visit(sid)
    return ordered


def _with_dependencies(stacks: Mapping[str, _Stack], selected: Iterable[str]) -> set[str]:
    by_name = {s.name: sid for sid, s in stacks.items()}
    out: set[str] = set()
    todo = []
    for wanted in selected:
        sid = wanted if wanted in stacks else by_name.get(wanted)
        if sid is None:
            raise AssemblyError(f"no stack {wanted!r} in the assembly (stacks: {', '.join(sorted(by_name))})")
        todo.append(sid)
    while todo:
        sid = todo.pop()
        if sid not in out:
            out.add(sid)
            todo.extend(d for d in stacks[sid].dependencies if d in stacks)
    return out


def _make_physical_of(stack: _Stack, endpoint: str) -> Any:
    def physical_of(logical_id: str) -> Physical:
        if logical_id in stack.physicals:
            return stack.physicals[logical_id]
        assert stack.resolver is not None
        resource = stack.resources[logical_id]
        rtype: str = resource["Type"]
        props: dict[str, Any] = resource.get("Properties", {})
        name_prop = NAME_PROPERTY.get(rtype)
        explicit = stack.resolver.resolve(props[name_prop]) if name_prop and name_prop in props else None
        if rtype == "AWS::ApiGateway::RestApi":
            explicit = None  # the API's Name is a label, its id is generated
        fifo = rtype in ("AWS::SQS::Queue", "AWS::SNS::Topic") and bool(
            props.get("FifoQueue") or props.get("FifoTopic")
        )
        name = str(explicit) if explicit else generated_name(stack.name, logical_id, rtype, fifo=fifo)
        extra: dict[str, Any] = {}
        if rtype == "AWS::Events::Rule" and "EventBusName" in props:
            extra["EventBusName"] = _bus_name(stack.resolver.resolve(props["EventBusName"]))
        if rtype == "AWS::ApiGateway::Stage":
            extra["StageName"] = stack.resolver.resolve(props.get("StageName", "prod"))
        result = physical(rtype, name, stack.name, logical_id, extra, endpoint)
        stack.physicals[logical_id] = result
        return result

    return physical_of


def _bus_name(value: Any) -> str:
    text = str(value)
    return bus_name_from_arn(text) if text.startswith("arn:") else text


def read_assembly(
    cdk_out: Path | str, stacks: Sequence[str] | None = None, endpoint: str = DEFAULT_ENDPOINT
) -> Topology:
    """Read ``cdk_out``; ``stacks`` limits the topology to those stacks and the stacks they depend on.

    ``endpoint`` is the local AWS endpoint, which queue URLs point at.
    """
    cdk_out = Path(cdk_out)
    loaded = _load_stacks(cdk_out)
    if not loaded:
        raise AssemblyError(f"{cdk_out} holds no CloudFormation stacks")
    order = _ordered(loaded)
    exports: dict[str, Any] = {}
    for sid in order:
        stack = loaded[sid]
        stack.resolver = Resolver(stack.name, stack.template, _make_physical_of(stack, endpoint), exports)
        for output in stack.template.get("Outputs", {}).values():
            if "Export" in output:
                exports[stack.resolver.resolve(output["Export"]["Name"])] = stack.resolver.resolve(output["Value"])
    selected = _with_dependencies(loaded, stacks) if stacks else set(loaded)
    builder = _Builder()
    for sid in order:
        if sid in selected:
            builder.add_stack(loaded[sid])
    return builder.topology(tuple(loaded[sid].name for sid in order if sid in selected))


def _int(value: Any, default: int) -> int:
    return default if value is None else int(value)


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


class _Builder:
    def __init__(self) -> None:
        self.functions: list[Function] = []
        self.queues: list[Queue] = []
        self.tables: list[Table] = []
        self.buckets: list[Bucket] = []
        self.topics: list[Topic] = []
        self.buses: list[Bus] = []
        self.rules: list[Rule] = []
        self.esms: list[EventSourceMapping] = []
        self.invoke_configs: list[EventInvokeConfig] = []
        self.notifications: list[BucketNotification] = []
        self.subscriptions: list[Subscription] = []
        self.rest_apis: list[RestApi] = []
        self.user_pools: list[UserPool] = []
        self.user_pool_clients: list[UserPoolClient] = []
        self.user_pool_groups: list[UserPoolGroup] = []
        self.skipped: list[str] = []

    def topology(self, stacks: tuple[str, ...]) -> Topology:
        return Topology(
            stacks=stacks,
            functions=tuple(self.functions),
            queues=tuple(self.queues),
            tables=tuple(self.tables),
            buckets=tuple(self.buckets),
            topics=tuple(self.topics),
            buses=tuple(self.buses),
            rules=tuple(self.rules),
            event_source_mappings=tuple(self.esms),
            event_invoke_configs=tuple(self.invoke_configs),
            bucket_notifications=tuple(self.notifications),
            subscriptions=tuple(self.subscriptions),
            rest_apis=tuple(self.rest_apis),
            user_pools=tuple(self.user_pools),
            user_pool_clients=tuple(self.user_pool_clients),
            user_pool_groups=tuple(self.user_pool_groups),
            skipped=tuple(self.skipped),
        )

    def add_stack(self, stack: _Stack) -> None:
        assert stack.resolver is not None
        handlers = {
            "AWS::Lambda::Function": self._function,
            "AWS::SQS::Queue": self._queue,
            "AWS::DynamoDB::Table": self._table,
            "AWS::S3::Bucket": self._bucket,
            "AWS::SNS::Topic": self._topic,
            "AWS::SNS::Subscription": self._subscription,
            "AWS::Events::EventBus": self._bus,
            "AWS::Events::Rule": self._rule,
            "AWS::Lambda::EventSourceMapping": self._esm,
            "AWS::Lambda::EventInvokeConfig": self._invoke_config,
            "Custom::S3BucketNotifications": self._notifications,
            "AWS::ApiGateway::RestApi": self._rest_api,
            "AWS::Cognito::UserPool": self._user_pool,
            "AWS::Cognito::UserPoolClient": self._user_pool_client,
            "AWS::Cognito::UserPoolGroup": self._user_pool_group,
        }
        for logical_id, resource in stack.resources.items():
            handler = handlers.get(resource["Type"])
            if handler is None:
                continue
            if "Condition" in resource and not stack.resolver.condition(resource["Condition"]):
                continue
            props = stack.resolver.resolve(resource.get("Properties", {}))
            handler(stack, logical_id, props)

    # -- resources -------------------------------------------------------------------------------------------
    def _function(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:
        assert stack.resolver is not None
        phys = stack.resolver.physical_of(logical_id)
        name, arn = str(phys.ref), str(phys.attributes["Arn"])
        if props.get("PackageType") != "Image":
            self.skipped.append(f"{stack.name}/{logical_id}: not an image function (CDK-internal handler)")
            return
        asset_dir = _asset_dir(stack, props)
        command = list(props.get("ImageConfig", {}).get("Command", []) or [])
        handler = command[0] if command else _handler_from_asset(asset_dir)
        if not handler:
            self.skipped.append(f"{stack.name}/{logical_id}: no ImageConfig.Command and no [tool.lambda] handler")
            return
        env = {k: _env_text(v) for k, v in props.get("Environment", {}).get("Variables", {}).items()}
        dlq = props.get("DeadLetterConfig", {}).get("TargetArn")
        reserved = props.get("ReservedConcurrentExecutions")
        self.functions.append(
            Function(
                stack=stack.name,
                logical_id=logical_id,
                name=name,
                arn=arn,
                service=handler.split(".")[0],
                handler=handler,
                env=env,
                timeout_s=_int(props.get("Timeout"), DEFAULT_LAMBDA_TIMEOUT_S),
                memory_mb=_int(props.get("MemorySize"), DEFAULT_LAMBDA_MEMORY_MB),
                reserved_concurrency=None if reserved is None else int(reserved),
                dlq_arn=dlq,
                asset_dir=str(asset_dir) if asset_dir else None,
            )
        )

    def _queue(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:
        assert stack.resolver is not None
        phys = stack.resolver.physical_of(logical_id)
        redrive_raw = props.get("RedrivePolicy")
        if isinstance(redrive_raw, str):
            redrive_raw = json.loads(redrive_raw)
        redrive = (
            Redrive(dlq_arn=redrive_raw["deadLetterTargetArn"], max_receive_count=int(redrive_raw["maxReceiveCount"]))
            if redrive_raw
            else None
        )
        passthrough = (
            "DelaySeconds",
            "MessageRetentionPeriod",
            "MaximumMessageSize",
            "ReceiveMessageWaitTimeSeconds",
            "ContentBasedDeduplication",
        )
        attributes = {
            k: str(props[k]).lower() if isinstance(props[k], bool) else str(props[k]) for k in passthrough if k in props
        }
        self.queues.append(
            Queue(
                stack=stack.name,
                logical_id=logical_id,
                name=str(phys.attributes["QueueName"]),
                arn=str(phys.attributes["Arn"]),
                visibility_timeout_s=_int(props.get("VisibilityTimeout"), DEFAULT_VISIBILITY_TIMEOUT_S),
                redrive=redrive,
                fifo=bool(props.get("FifoQueue")),
                attributes=attributes,
            )
        )

    def _table(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:
        assert stack.resolver is not None
        phys = stack.resolver.physical_of(logical_id)
        args: dict[str, Any] = {
            "TableName": phys.ref,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props.get("AttributeDefinitions", []),
            "BillingMode": "PAY_PER_REQUEST",  # capacity means nothing locally
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(key):
                args[key] = [{k: v for k, v in ix.items() if k != "ProvisionedThroughput"} for ix in props[key]]
        stream = props.get("StreamSpecification", {}).get("StreamViewType")
        if stream:
            args["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream}
        self.tables.append(Table(stack.name, logical_id, str(phys.ref), str(phys.attributes["Arn"]), args))

    def _bucket(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:
        assert stack.resolver is not None
        phys = stack.resolver.physical_of(logical_id)
        name = str(phys.ref)
        self.buckets.append(Bucket(stack.name, logical_id, name, str(phys.attributes["Arn"])))
        if props.get("NotificationConfiguration"):
            config = _cfn_notifications_to_api(props["NotificationConfiguration"])
            self.notifications.append(BucketNotification(stack.name, logical_id, name, config))

    def _notifications(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:
        config = dict(props.get("NotificationConfiguration", {}))
        self.notifications.append(BucketNotification(stack.name, logical_id, str(props["BucketName"]), config))

    def _topic(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:
        assert stack.resolver is not None
        phys = stack.resolver.physical_of(logical_id)
        arn = str(phys.ref)
        self.topics.append(
            Topic(stack.name, logical_id, str(phys.attributes["TopicName"]), arn, bool(props.get("FifoTopic")))
        )
        for i, sub in enumerate(props.get("Subscription", []) or []):
            self.subscriptions.append(
                Subscription(stack.name, f"{logical_id}.Subscription{i}", arn, sub["Protocol"], str(sub["Endpoint"]))
            )

    def _subscription(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:
        filter_policy = props.get("FilterPolicy")
        self.subscriptions.append(
            Subscription(
                stack=stack.name,
                logical_id=logical_id,
                topic_arn=str(props["TopicArn"]),
                protocol=str(props["Protocol"]),
                endpoint=str(props["Endpoint"]),
                raw_message_delivery=str(props.get("RawMessageDelivery", "false")).lower() == "true",
                filter_policy=None if filter_policy is None else _json_text(filter_policy),
                dlq_arn=(props.get("RedrivePolicy") or {}).get("deadLetterTargetArn"),
            )
        )

    def _bus(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:  # noqa: ARG002
        assert stack.resolver is not None
        phys = stack.resolver.physical_of(logical_id)
        self.buses.append(Bus(stack.name, logical_id, str(phys.ref), str(phys.attributes["Arn"])))

    def _rule(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:
        assert stack.resolver is not None
        phys = stack.resolver.physical_of(logical_id)
        targets = tuple(
            RuleTarget(
                id=str(t["Id"]),
                arn=str(t["Arn"]),
                input=t.get("Input"),
                input_path=t.get("InputPath"),
                input_transformer=t.get("InputTransformer"),
                max_retries=t.get("RetryPolicy", {}).get("MaximumRetryAttempts"),
                max_event_age_s=t.get("RetryPolicy", {}).get("MaximumEventAgeInSeconds"),
                dlq_arn=t.get("DeadLetterConfig", {}).get("Arn"),
                sqs_message_group_id=t.get("SqsParameters", {}).get("MessageGroupId"),
            )
            for t in props.get("Targets", [])
        )
        pattern = props.get("EventPattern")
        self.rules.append(
            Rule(
                stack=stack.name,
                logical_id=logical_id,
                name=str(phys.ref),
                arn=str(phys.attributes["Arn"]),
                bus_name=_bus_name(props.get("EventBusName", "default")),
                pattern=None if pattern is None else _json_text(pattern),
                schedule=props.get("ScheduleExpression"),
                enabled=props.get("State", "ENABLED") == "ENABLED",
                targets=targets,
            )
        )

    def _esm(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:
        source = str(props.get("EventSourceArn", ""))
        if ":sqs:" not in source:
            self.skipped.append(f"{stack.name}/{logical_id}: event source {source or '?'} (only SQS is emulated)")
            return
        filters = tuple(_json_text(f["Pattern"]) for f in props.get("FilterCriteria", {}).get("Filters", []))
        self.esms.append(
            EventSourceMapping(
                stack=stack.name,
                logical_id=logical_id,
                function_name=function_name_from_arn(str(props["FunctionName"])),
                source_arn=source,
                batch_size=_int(props.get("BatchSize"), DEFAULT_ESM_BATCH_SIZE),
                batching_window_s=_int(props.get("MaximumBatchingWindowInSeconds"), 0),
                report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                enabled=bool(props.get("Enabled", True)),
                max_concurrency=props.get("ScalingConfig", {}).get("MaximumConcurrency"),
                filter_patterns=filters,
            )
        )

    def _invoke_config(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:  # noqa: ARG002
        destinations = props.get("DestinationConfig", {})
        self.invoke_configs.append(
            EventInvokeConfig(
                function_name=function_name_from_arn(str(props["FunctionName"])),
                max_retries=_int(props.get("MaximumRetryAttempts"), DEFAULT_ASYNC_RETRIES),
                max_event_age_s=_int(props.get("MaximumEventAgeInSeconds"), DEFAULT_MAX_EVENT_AGE_S),
                on_success=destinations.get("OnSuccess", {}).get("Destination"),
                on_failure=destinations.get("OnFailure", {}).get("Destination"),
            )
        )

    def _rest_api(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:
        assert stack.resolver is not None
        resolver = stack.resolver
        phys = resolver.physical_of(logical_id)
        api_id, root_id = phys.ref, phys.attributes["RootResourceId"]
        parents: dict[str, tuple[str, str]] = {}
        stage = "prod"
        methods: list[tuple[str, dict[str, Any]]] = []
        authorizers: dict[str, Authorizer] = {}  # by the authorizer's id, which methods' AuthorizerId holds
        kinds = ("AWS::ApiGateway::Resource", "AWS::ApiGateway::Method", "AWS::ApiGateway::Stage")
        for rid, res in stack.resources.items():
            rprops = res.get("Properties", {})
            if res["Type"] not in (*kinds, "AWS::ApiGateway::Authorizer"):
                continue
            if resolver.resolve(rprops.get("RestApiId")) != api_id:
                continue
            if res["Type"] == "AWS::ApiGateway::Resource":
                own_id = resolver.physical_of(rid).ref
                parents[own_id] = (resolver.resolve(rprops["ParentId"]), resolver.resolve(rprops["PathPart"]))
            elif res["Type"] == "AWS::ApiGateway::Stage":
                stage = str(resolver.resolve(rprops.get("StageName", stage)))
            elif res["Type"] == "AWS::ApiGateway::Authorizer":
                found = _cognito_authorizer(rid, resolver.resolve(rprops))
                if found is None:
                    self.skipped.append(f"{stack.name}/{rid}: only COGNITO_USER_POOLS authorizers are emulated")
                else:
                    authorizers[str(resolver.physical_of(rid).ref)] = found
            else:
                methods.append((rid, resolver.resolve(rprops)))

        def path_of(resource_id: str) -> str:
            parts: list[str] = []
            while resource_id != root_id:
                if resource_id not in parents:
                    raise AssemblyError(f"{stack.name}/{logical_id}: unknown API resource {resource_id}")
                resource_id, part = parents[resource_id]
                parts.append(part)
            return "/" + "/".join(reversed(parts))

        routes = []
        for method_id, method in methods:
            integration = method.get("Integration", {})
            fn_name = None
            if integration.get("Type") == "AWS_PROXY":
                uri = str(integration.get("Uri", ""))
                if "/functions/" in uri:
                    fn_name = function_name_from_arn(uri.split("/functions/", 1)[1].rsplit("/invocations", 1)[0])
            authorization = str(method.get("AuthorizationType", "NONE"))
            authorizer = authorizers.get(str(method.get("AuthorizerId", "")))
            if authorization != "NONE" and authorizer is None:
                self.skipped.append(f"{stack.name}/{method_id}: AuthorizationType {authorization} is not enforced")
            routes.append(
                Route(
                    path=path_of(method["ResourceId"]),
                    method=str(method["HttpMethod"]).upper(),
                    function_name=fn_name,
                    authorizer=authorizer if authorization == "COGNITO_USER_POOLS" else None,
                    scopes=tuple(str(s) for s in method.get("AuthorizationScopes", []) or []),
                )
            )
        self.rest_apis.append(
            RestApi(
                stack.name,
                logical_id,
                str(api_id),
                str(props.get("Name", logical_id)),
                stage,
                tuple(routes),
                tuple(str(t) for t in props.get("BinaryMediaTypes", []) or []),
            )
        )

    def _user_pool(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:
        assert stack.resolver is not None
        name = str(stack.resolver.physical_of(logical_id).ref)
        args = {k: props[k] for k in _USER_POOL_ARGS if k in props}
        if "UserPoolTags" in props:
            args["UserPoolTags"] = {str(k): str(v) for k, v in props["UserPoolTags"].items()}
        self.user_pools.append(UserPool(stack.name, logical_id, name, args))

    def _user_pool_client(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:
        assert stack.resolver is not None
        name = str(stack.resolver.physical_of(logical_id).ref)
        args = {k: props[k] for k in _USER_POOL_CLIENT_ARGS if k in props}
        self.user_pool_clients.append(UserPoolClient(stack.name, logical_id, str(props["UserPoolId"]), name, args))

    def _user_pool_group(self, stack: _Stack, logical_id: str, props: dict[str, Any]) -> None:
        assert stack.resolver is not None
        precedence = props.get("Precedence")
        self.user_pool_groups.append(
            UserPoolGroup(
                stack.name,
                logical_id,
                str(props["UserPoolId"]),
                str(stack.resolver.physical_of(logical_id).ref),
                props.get("Description"),
                None if precedence is None else int(precedence),
            )
        )


# The CloudFormation properties that CreateUserPool / CreateUserPoolClient take under the same name.
_USER_POOL_ARGS = (
    "Policies",
    "DeletionProtection",
    "AutoVerifiedAttributes",
    "AliasAttributes",
    "UsernameAttributes",
    "UsernameConfiguration",
    "VerificationMessageTemplate",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "SmsVerificationMessage",
    "MfaConfiguration",
    "UserAttributeUpdateSettings",
    "DeviceConfiguration",
    "AdminCreateUserConfig",
    "Schema",
    "AccountRecoverySetting",
    "UserPoolTier",
)
_USER_POOL_CLIENT_ARGS = (
    "GenerateSecret",
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
    "WriteAttributes",
    "ExplicitAuthFlows",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
    "AuthSessionValidity",
)


def _cognito_authorizer(logical_id: str, props: Mapping[str, Any]) -> Authorizer | None:
    if props.get("Type") != "COGNITO_USER_POOLS":
        return None
    source = str(props.get("IdentitySource", "method.request.header.Authorization"))
    header = source.removeprefix("method.request.header.")
    # Provider ARNs end in userpool/<id>; locally the id stands for the pool's name (see model.UserPool).
    pools = tuple(str(arn).rsplit("/", 1)[-1] for arn in props.get("ProviderARNs", []) or [])
    return Authorizer(logical_id, header, pools, props.get("IdentityValidationExpression"))


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return value if isinstance(value, str) else json.dumps(value)


def _asset_dir(stack: _Stack, props: Mapping[str, Any]) -> Path | None:
    uri = str(props.get("Code", {}).get("ImageUri", ""))
    tag = uri.rsplit(":", 1)[-1] if ":" in uri else ""
    image = stack.assets.get("dockerImages", {}).get(tag)
    if not image:
        return None
    directory = image.get("source", {}).get("directory")
    return stack.directory / directory if directory else None


def _handler_from_asset(asset_dir: Path | None) -> str | None:
    if asset_dir is None or not (asset_dir / "pyproject.toml").is_file():
        return None
    data = tomllib.loads((asset_dir / "pyproject.toml").read_text())
    handler = data.get("tool", {}).get("lambda", {}).get("handler")
    return str(handler) if handler else None


def _cfn_notifications_to_api(config: Mapping[str, Any]) -> dict[str, Any]:
    """``AWS::S3::Bucket`` NotificationConfiguration (CloudFormation shape) -> the S3 API shape."""

    def filter_of(item: Mapping[str, Any]) -> dict[str, Any]:
        rules = item.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        return {"Filter": {"Key": {"FilterRules": rules}}} if rules else {}

    out: dict[str, Any] = {}
    for cfn_key, api_key, arn_key, api_arn in (
        ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
        ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
        ("TopicConfigurations", "TopicConfigurations", "Topic", "TopicArn"),
    ):
        items = config.get(cfn_key, [])
        if items:
            out[api_key] = [{api_arn: i[arn_key], "Events": [i["Event"]], **filter_of(i)} for i in items]
    return out

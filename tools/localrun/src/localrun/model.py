"""The typed, immutable topology model read from a CDK cloud assembly.

Everything here is plain data with physical names already resolved, so the rest of the runner never sees a
CloudFormation intrinsic. Built by :mod:`localrun.assembly`; no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

ACCOUNT_ID = "000000000000"
REGION = "us-east-1"
# The one set of dummy credentials: functions, the runner's clients and tests all use it (moto accepts any).
DUMMY_CREDENTIALS_ENV = {"AWS_ACCESS_KEY_ID": "localrun", "AWS_SECRET_ACCESS_KEY": "localrun"}

# CloudFormation's defaults when a template omits the property.
DEFAULT_LAMBDA_TIMEOUT_S = 3
DEFAULT_LAMBDA_MEMORY_MB = 128
DEFAULT_VISIBILITY_TIMEOUT_S = 30
DEFAULT_ASYNC_RETRIES = 2
DEFAULT_MAX_EVENT_AGE_S = 21600
DEFAULT_ESM_BATCH_SIZE = 10


@dataclass(frozen=True)
class Function:
    stack: str
    logical_id: str
    name: str
    arn: str
    service: str  # the services/<dir> the image is built from (also the docker image tag)
    handler: str  # the image CMD (ImageConfig.Command), e.g. "product.handlers.api.handler"
    env: Mapping[str, str] = field(default_factory=dict)
    timeout_s: int = DEFAULT_LAMBDA_TIMEOUT_S
    memory_mb: int = DEFAULT_LAMBDA_MEMORY_MB
    reserved_concurrency: int | None = None
    dlq_arn: str | None = None  # DeadLetterConfig.TargetArn (SQS or SNS)
    asset_dir: str | None = None  # the image asset directory inside the assembly


@dataclass(frozen=True)
class Redrive:
    dlq_arn: str
    max_receive_count: int


@dataclass(frozen=True)
class Queue:
    stack: str
    logical_id: str
    name: str
    arn: str
    visibility_timeout_s: int = DEFAULT_VISIBILITY_TIMEOUT_S
    redrive: Redrive | None = None
    fifo: bool = False
    attributes: Mapping[str, str] = field(default_factory=dict)  # extra CreateQueue attributes (e.g. DelaySeconds)


@dataclass(frozen=True)
class Table:
    stack: str
    logical_id: str
    name: str
    arn: str
    create_args: Mapping[str, Any]  # CreateTable arguments (KeySchema, AttributeDefinitions, GSIs, ...)


@dataclass(frozen=True)
class Bucket:
    stack: str
    logical_id: str
    name: str
    arn: str


@dataclass(frozen=True)
class Topic:
    stack: str
    logical_id: str
    name: str
    arn: str
    fifo: bool = False


@dataclass(frozen=True)
class Bus:
    stack: str
    logical_id: str
    name: str
    arn: str


@dataclass(frozen=True)
class RuleTarget:
    id: str
    arn: str
    input: str | None = None
    input_path: str | None = None
    input_transformer: Mapping[str, Any] | None = None
    max_retries: int | None = None
    max_event_age_s: int | None = None
    dlq_arn: str | None = None
    sqs_message_group_id: str | None = None

    def to_api(self) -> dict[str, Any]:
        """The PutTargets entry for this target."""
        out: dict[str, Any] = {"Id": self.id, "Arn": self.arn}
        if self.input is not None:
            out["Input"] = self.input
        if self.input_path is not None:
            out["InputPath"] = self.input_path
        if self.input_transformer is not None:
            out["InputTransformer"] = dict(self.input_transformer)
        if self.max_retries is not None or self.max_event_age_s is not None:
            policy: dict[str, int] = {}
            if self.max_retries is not None:
                policy["MaximumRetryAttempts"] = self.max_retries
            if self.max_event_age_s is not None:
                policy["MaximumEventAgeInSeconds"] = self.max_event_age_s
            out["RetryPolicy"] = policy
        if self.dlq_arn is not None:
            out["DeadLetterConfig"] = {"Arn": self.dlq_arn}
        if self.sqs_message_group_id is not None:
            out["SqsParameters"] = {"MessageGroupId": self.sqs_message_group_id}
        return out


@dataclass(frozen=True)
class Rule:
    stack: str
    logical_id: str
    name: str
    arn: str
    bus_name: str
    pattern: str | None  # JSON text, as PutRule takes it
    schedule: str | None
    enabled: bool
    targets: tuple[RuleTarget, ...]


@dataclass(frozen=True)
class EventSourceMapping:
    stack: str
    logical_id: str
    function_name: str
    source_arn: str
    batch_size: int = DEFAULT_ESM_BATCH_SIZE
    batching_window_s: int = 0
    report_batch_item_failures: bool = False
    enabled: bool = True
    max_concurrency: int | None = None
    filter_patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventInvokeConfig:
    function_name: str
    max_retries: int = DEFAULT_ASYNC_RETRIES
    max_event_age_s: int = DEFAULT_MAX_EVENT_AGE_S
    on_success: str | None = None  # destination ARN
    on_failure: str | None = None


@dataclass(frozen=True)
class BucketNotification:
    stack: str
    logical_id: str
    bucket_name: str
    configuration: Mapping[str, Any]  # PutBucketNotificationConfiguration's NotificationConfiguration


@dataclass(frozen=True)
class Subscription:
    stack: str
    logical_id: str
    topic_arn: str
    protocol: str
    endpoint: str
    raw_message_delivery: bool = False
    filter_policy: str | None = None
    dlq_arn: str | None = None


@dataclass(frozen=True)
class UserPool:
    """A Cognito user pool. Cognito chooses its id at creation, so the topology knows it by ``name`` (its
    PoolName); locally ``Ref`` and ``Arn`` carry that name until :mod:`localrun.userpools` has created it."""

    stack: str
    logical_id: str
    name: str
    create_args: Mapping[str, Any]  # CreateUserPool arguments (Policies, Schema, AdminCreateUserConfig, ...)


@dataclass(frozen=True)
class UserPoolClient:
    stack: str
    logical_id: str
    pool_name: str
    name: str
    create_args: Mapping[str, Any]  # CreateUserPoolClient arguments besides UserPoolId and ClientName


@dataclass(frozen=True)
class UserPoolGroup:
    stack: str
    logical_id: str
    pool_name: str
    name: str
    description: str | None = None
    precedence: int | None = None


@dataclass(frozen=True)
class Authorizer:
    """A ``COGNITO_USER_POOLS`` authorizer: which pools' tokens it accepts and where the token is."""

    logical_id: str
    header: str  # from IdentitySource ``method.request.header.NAME``
    pool_names: tuple[str, ...]
    aud_pattern: str | None = None  # IdentityValidationExpression, matched against the token's ``aud``


@dataclass(frozen=True)
class Route:
    """One API Gateway method: ``path`` is the resource path template, e.g. ``/product/{id}``."""

    path: str
    method: str  # GET, POST, ..., or ANY
    function_name: str | None  # None when the integration is not a Lambda proxy
    authorizer: Authorizer | None = None  # None: AuthorizationType NONE
    scopes: tuple[str, ...] = ()  # AuthorizationScopes: the method then wants an access token with one of them


@dataclass(frozen=True)
class RestApi:
    stack: str
    logical_id: str
    id: str
    name: str
    stage: str
    routes: tuple[Route, ...]
    binary_media_types: tuple[str, ...] = ()  # bodies of these content types reach the function base64-encoded


@dataclass(frozen=True)
class Topology:
    stacks: tuple[str, ...]
    functions: tuple[Function, ...] = ()
    queues: tuple[Queue, ...] = ()
    tables: tuple[Table, ...] = ()
    buckets: tuple[Bucket, ...] = ()
    topics: tuple[Topic, ...] = ()
    buses: tuple[Bus, ...] = ()
    rules: tuple[Rule, ...] = ()
    event_source_mappings: tuple[EventSourceMapping, ...] = ()
    event_invoke_configs: tuple[EventInvokeConfig, ...] = ()
    bucket_notifications: tuple[BucketNotification, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    rest_apis: tuple[RestApi, ...] = ()
    user_pools: tuple[UserPool, ...] = ()
    user_pool_clients: tuple[UserPoolClient, ...] = ()
    user_pool_groups: tuple[UserPoolGroup, ...] = ()
    skipped: tuple[str, ...] = ()  # resources the runner does not emulate, with the reason

    def function(self, name_or_arn: str) -> Function | None:
        name = function_name_from_arn(name_or_arn)
        return next((f for f in self.functions if f.name == name), None)

    def invoke_config(self, function_name: str) -> EventInvokeConfig:
        found = next((c for c in self.event_invoke_configs if c.function_name == function_name), None)
        return found or EventInvokeConfig(function_name=function_name)

    def queue_by_arn(self, arn: str) -> Queue | None:
        return next((q for q in self.queues if q.arn == arn), None)


def function_name_from_arn(name_or_arn: str) -> str:
    """``arn:aws:lambda:r:a:function:NAME[:qualifier]`` -> ``NAME``; a plain name is returned as is."""
    if name_or_arn.startswith("arn:"):
        parts = name_or_arn.split(":")
        return parts[6] if len(parts) > 6 else name_or_arn
    return name_or_arn.split(":")[0]


_QUERY_ACTION = re.compile(rb"(?:^|&)Action=([A-Za-z0-9]+)(?=&|$)")


def query_action(form: bytes) -> str:
    """The ``Action`` of a query-protocol form (the first, as ``parse_qs`` reads it). An SDK writes it plainly, so it
    is found without parsing the whole form (an SNS Publish carries its message there, ~10 us); an escaped one is
    read by parsing."""
    match = _QUERY_ACTION.search(form)
    if match:
        return match.group(1).decode()
    return parse_qs(form.decode(errors="replace")).get("Action", [""])[0]


def arn_service(arn: str) -> str:
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 and parts[0] == "arn" else ""


def arn_resource(arn: str) -> str:
    """The last ':'-separated part (queue name, topic name, bus resource ``event-bus/NAME``)."""
    return arn.split(":", 5)[5] if arn.count(":") >= 5 else arn


def queue_name_from_arn(arn: str) -> str:
    return arn_resource(arn)


def bus_name_from_arn(arn: str) -> str:
    resource = arn_resource(arn)
    return resource.split("/", 1)[1] if "/" in resource else resource

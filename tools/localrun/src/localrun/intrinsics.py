"""CloudFormation intrinsic functions and physical names, resolved without calling AWS.

Physical names follow CloudFormation's ``<Stack>-<LogicalId>-<SUFFIX>`` style. The suffix is a hash of stack and
logical id instead of CloudFormation's random one, so the names stay the same across restarts of the runner.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from localrun.model import ACCOUNT_ID, REGION


class IntrinsicError(ValueError):
    """A template uses an intrinsic the reader cannot resolve."""


class _NoValue:
    """``AWS::NoValue``: the property is removed."""


NO_VALUE = _NoValue()

# Service name limits that CloudFormation truncates generated names to.
_MAX_LEN = {
    "AWS::Lambda::Function": 64,
    "AWS::SQS::Queue": 80,
    "AWS::S3::Bucket": 63,
    "AWS::Events::Rule": 64,
    "AWS::IAM::Role": 64,
    "AWS::Cognito::UserPool": 128,
    "AWS::Cognito::UserPoolClient": 128,
}
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _suffix(stack: str, logical_id: str, length: int = 12) -> str:
    digest = hashlib.sha256(f"{stack}/{logical_id}".encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:length])


def generated_name(stack: str, logical_id: str, resource_type: str, *, fifo: bool = False) -> str:
    """A CloudFormation-style physical name: contains the stack name and the logical id."""
    limit = _MAX_LEN.get(resource_type, 255)
    suffix = _suffix(stack, logical_id)
    if resource_type == "AWS::S3::Bucket":
        base = re.sub(r"[^a-z0-9-]", "", f"{stack}-{logical_id}".lower())
        suffix = suffix.lower()
    else:
        base = f"{stack}-{logical_id}"
    tail = ".fifo" if fifo else ""
    room = limit - len(suffix) - 1 - len(tail)
    return f"{base[:room]}-{suffix}{tail}"


def fake_id(stack: str, logical_id: str, length: int = 10) -> str:
    """A lowercase id like API Gateway's, stable per resource."""
    return _suffix(stack, logical_id, length).lower()


# Which property holds an explicit physical name, per resource type.
NAME_PROPERTY = {
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::Events::EventBus": "Name",
    "AWS::Events::Rule": "Name",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::IAM::Role": "RoleName",
    "AWS::ApiGateway::RestApi": "Name",
    "AWS::Cognito::UserPool": "UserPoolName",
    "AWS::Cognito::UserPoolClient": "ClientName",
    "AWS::Cognito::UserPoolGroup": "GroupName",
}


@dataclass(frozen=True)
class Physical:
    """What ``Ref`` and ``Fn::GetAtt`` return for one resource."""

    ref: Any
    attributes: Mapping[str, Any]


DEFAULT_ENDPOINT = "http://127.0.0.1:4566"


def physical(
    resource_type: str,
    name: str,
    stack: str,
    logical_id: str,
    props: Mapping[str, Any],
    endpoint: str = DEFAULT_ENDPOINT,
) -> Physical:
    """Ref and attributes of a resource whose physical name is ``name``; ``endpoint`` is the local AWS endpoint."""
    acct, region = ACCOUNT_ID, REGION
    if resource_type == "AWS::SQS::Queue":
        arn = f"arn:aws:sqs:{region}:{acct}:{name}"
        url = f"{endpoint}/{acct}/{name}"
        return Physical(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})
    if resource_type == "AWS::SNS::Topic":
        arn = f"arn:aws:sns:{region}:{acct}:{name}"
        return Physical(arn, {"TopicArn": arn, "TopicName": name})
    if resource_type == "AWS::SNS::Subscription":
        return Physical(f"{name}", {})
    if resource_type == "AWS::DynamoDB::Table":
        arn = f"arn:aws:dynamodb:{region}:{acct}:table/{name}"
        return Physical(name, {"Arn": arn, "StreamArn": f"{arn}/stream/1970-01-01T00:00:00.000"})
    if resource_type == "AWS::S3::Bucket":
        return Physical(
            name,
            {
                "Arn": f"arn:aws:s3:::{name}",
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
                "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
            },
        )
    if resource_type == "AWS::Events::EventBus":
        return Physical(name, {"Arn": f"arn:aws:events:{region}:{acct}:event-bus/{name}", "Name": name})
    if resource_type == "AWS::Events::Rule":
        bus = props.get("EventBusName")
        bus_part = f"{bus}/" if isinstance(bus, str) and bus != "default" else ""
        return Physical(name, {"Arn": f"arn:aws:events:{region}:{acct}:rule/{bus_part}{name}"})
    if resource_type == "AWS::Lambda::Function":
        return Physical(name, {"Arn": f"arn:aws:lambda:{region}:{acct}:function:{name}"})
    if resource_type == "AWS::IAM::Role":
        return Physical(name, {"Arn": f"arn:aws:iam::{acct}:role/{name}", "RoleId": fake_id(stack, logical_id, 21)})
    if resource_type == "AWS::ApiGateway::RestApi":
        api_id = fake_id(stack, logical_id)
        return Physical(api_id, {"RootResourceId": fake_id(stack, logical_id + "/root")})
    if resource_type == "AWS::ApiGateway::Stage":
        return Physical(props.get("StageName", name), {})
    if resource_type.startswith("AWS::ApiGateway::") or resource_type == "AWS::Lambda::EventSourceMapping":
        return Physical(fake_id(stack, logical_id), {})
    if resource_type == "AWS::Cognito::UserPool":
        # Cognito makes the pool's id when it creates the pool; until then the name stands in (model.UserPool).
        arn = f"arn:aws:cognito-idp:{region}:{acct}:userpool/{name}"
        return Physical(
            name,
            {"Arn": arn, "ProviderName": f"cognito-idp.{region}.amazonaws.com/{name}", "UserPoolId": name},
        )
    service = resource_type.split("::")[1].lower() if resource_type.count("::") == 2 else "custom"
    return Physical(name, {"Arn": f"arn:aws:{service}:{region}:{acct}:{name}"})


@dataclass
class Resolver:
    """Resolves intrinsics in one stack's template against the physical names of every stack."""

    stack: str
    template: Mapping[str, Any]
    physical_of: Callable[[str], Physical]  # logical id (in this stack) -> Physical
    exports: Mapping[str, Any]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            fn = _FUNCTIONS.get(key)
            if fn is not None:
                return fn(self, arg)
        return {k: r for k, r in ((k, self.resolve(v)) for k, v in value.items()) if r is not NO_VALUE}

    def ref(self, name: str) -> Any:
        pseudo = {
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": REGION,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack,
            "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{self.stack}/"
            + fake_id(self.stack, ""),
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        params = self.template.get("Parameters", {})
        if name in params:
            if "Default" not in params[name]:
                raise IntrinsicError(f"{self.stack}: parameter {name} has no default")
            return params[name]["Default"]
        if name not in self.template.get("Resources", {}):
            raise IntrinsicError(f"{self.stack}: Ref to unknown {name}")
        return self.physical_of(name).ref

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self.template.get("Resources", {}):
            raise IntrinsicError(f"{self.stack}: Fn::GetAtt on unknown {logical_id}")
        attrs = self.physical_of(logical_id).attributes
        if attribute not in attrs:
            raise IntrinsicError(f"{self.stack}: {logical_id} has no attribute {attribute} locally")
        return attrs[attribute]

    def condition(self, name: str) -> bool:
        conditions = self.template.get("Conditions", {})
        if name not in conditions:
            raise IntrinsicError(f"{self.stack}: unknown condition {name}")
        return bool(self.resolve(conditions[name]))


def _ref(r: Resolver, arg: Any) -> Any:
    return r.ref(arg)


def _get_att(r: Resolver, arg: Any) -> Any:
    if isinstance(arg, str):
        logical_id, attribute = arg.split(".", 1)
    else:
        logical_id, attribute = arg[0], r.resolve(arg[1])
    return r.get_att(logical_id, attribute)


def _join(r: Resolver, arg: Any) -> str:
    delimiter, parts = arg
    return str(delimiter).join(str(p) for p in r.resolve(parts))


_SUB = re.compile(r"\$\{([^}]+)\}")


def _sub(r: Resolver, arg: Any) -> str:
    text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], r.resolve(arg[1]))

    def replace(match: re.Match[str]) -> str:
        token = match.group(1)
        if token.startswith("!"):
            return "${" + token[1:] + "}"
        if token in variables:
            return str(variables[token])
        if "." in token and not token.startswith("AWS::"):
            logical_id, attribute = token.split(".", 1)
            return str(r.get_att(logical_id, attribute))
        return str(r.ref(token))

    return _SUB.sub(replace, text)


def _select(r: Resolver, arg: Any) -> Any:
    index, items = r.resolve(arg[0]), r.resolve(arg[1])
    return items[int(index)]


def _split(r: Resolver, arg: Any) -> list[str]:
    delimiter, text = arg[0], r.resolve(arg[1])
    return str(text).split(delimiter)


def _import_value(r: Resolver, arg: Any) -> Any:
    name = r.resolve(arg)
    if name not in r.exports:
        raise IntrinsicError(f"{r.stack}: Fn::ImportValue {name} is exported by no stack in the assembly")
    return r.exports[name]


def _if(r: Resolver, arg: Any) -> Any:
    name, when_true, when_false = arg
    return r.resolve(when_true if r.condition(name) else when_false)


def _equals(r: Resolver, arg: Any) -> bool:
    return bool(r.resolve(arg[0]) == r.resolve(arg[1]))


def _not(r: Resolver, arg: Any) -> bool:
    return not r.resolve(arg[0])


def _and(r: Resolver, arg: Any) -> bool:
    return all(r.resolve(a) for a in arg)


def _or(r: Resolver, arg: Any) -> bool:
    return any(r.resolve(a) for a in arg)


def _condition(r: Resolver, arg: Any) -> bool:
    return r.condition(arg)


def _base64(r: Resolver, arg: Any) -> str:
    import base64

    return base64.b64encode(str(r.resolve(arg)).encode()).decode()


def _get_azs(r: Resolver, arg: Any) -> list[str]:  # noqa: ARG001 - the common signature
    return [f"{REGION}a", f"{REGION}b", f"{REGION}c"]


_FUNCTIONS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": _ref,
    "Fn::GetAtt": _get_att,
    "Fn::Join": _join,
    "Fn::Sub": _sub,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::ImportValue": _import_value,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": _not,
    "Fn::And": _and,
    "Fn::Or": _or,
    "Condition": _condition,
    "Fn::Base64": _base64,
    "Fn::GetAZs": _get_azs,
}

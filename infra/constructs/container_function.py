"""ContainerFunction: a service image (services/<svc>/Dockerfile) as a Lambda function with its own role and logs."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from cdk_nag import NagSuppressions
from constructs import Construct

from infra import config


def asset_exclude(service: str) -> list[str]:
    """What CDK leaves out of ``service``'s image asset, on top of the repository's .dockerignore (which CDK reads
    first): the other services, so a change to one service re-hashes and rebuilds only its own image, and the local
    wheelhouse, so the hash (and synth) is the same on every machine whether or not one was prepared."""
    return [
        ".wheelhouse",
        "services/*",
        f"!services/{service}",
        # (the negation re-includes all of the service folder: what .dockerignore keeps out of it goes again)
        "services/*/events",
        "services/*/samples",
        "services/*/tests",
        "services/*/README.md",
        "**/__pycache__",
        "**/*.pyc",
    ]


# Template metadata the local runner reads to map a function back to its service folder and entrypoint.
METADATA_KEY = "lambda-microservices:service"

LOG_RETENTION = logs.RetentionDays.ONE_MONTH
DEFAULT_TIMEOUT = Duration.seconds(30)


class ContainerFunction(Construct):
    """A `DockerImageFunction` built from ``services/<service>`` with ``cmd=[handler]``.

    - one IAM role per function, with no managed policies: callers add grants (least privilege);
    - an explicit log group with a retention (instead of the deprecated logRetention custom resource);
    - ``POWERTOOLS_SERVICE_NAME``/``POWERTOOLS_LOG_LEVEL`` plus the service's own settings as env vars;
    - X-Ray active tracing.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service: str,
        handler: str,
        environment: Mapping[str, str] | None = None,
        timeout: Duration = DEFAULT_TIMEOUT,
        memory_size: int = 512,
        description: str | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        dockerfile = config.service_dir(service) / "Dockerfile"
        self.service = service
        self.handler = handler
        self.timeout = timeout

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of {service} ({handler})",
        )
        self.log_group = logs.LogGroup(self, "LogGroup", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY)
        self.log_group.grant_write(self.role)

        if config.architecture(self) == "arm64":
            platform, arch = ecr_assets.Platform.LINUX_ARM64, lambda_.Architecture.ARM_64
        else:
            platform, arch = ecr_assets.Platform.LINUX_AMD64, lambda_.Architecture.X86_64

        env = {"POWERTOOLS_SERVICE_NAME": service, "POWERTOOLS_LOG_LEVEL": config.log_level(self)}
        env.update(environment or {})

        self.function = lambda_.DockerImageFunction(
            self,
            "Function",
            # The context is the repository root (uv.lock, libs/), as for `docker build -f services/<svc>/Dockerfile .`
            code=lambda_.DockerImageCode.from_image_asset(
                directory=str(config.REPO_ROOT),
                file=str(dockerfile.relative_to(config.REPO_ROOT)),
                cmd=[handler],
                build_args={"BASE_IMAGE": config.base_image(self)},
                exclude=asset_exclude(service),
                # Image platform and function architecture always agree (context `architecture`), whatever the
                # machine that builds the image.
                platform=platform,
            ),
            architecture=arch,
            role=self.role,
            log_group=self.log_group,
            timeout=timeout,
            memory_size=memory_size,
            environment=env,
            tracing=lambda_.Tracing.ACTIVE,
            description=description or f"{service}: {handler}",
            dead_letter_queue=dead_letter_queue,
        )
        cfn = self.function.node.default_child
        assert isinstance(cfn, lambda_.CfnFunction)
        cfn.add_metadata(METADATA_KEY, {"directory": f"services/{service}", "handler": handler})

        # The default policy holds the grants. The only `Resource: *` statement is CDK's X-Ray grant
        # (tests/infra pin that).
        NagSuppressions.add_resource_suppressions(
            self.role,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "Active tracing: xray:PutTraceSegments/PutTelemetryRecords do not support "
                    "resource-level permissions, so CDK grants them on '*'.",
                    "appliesTo": ["Resource::*"],
                }
            ],
            apply_to_children=True,
        )

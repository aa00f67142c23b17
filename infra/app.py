"""CDK entrypoint (`cdk.json` runs `python -m infra.app`). Synth needs no Docker and no AWS credentials."""

from __future__ import annotations

import os

# jsii prints a Node end-of-life banner on every synth otherwise; must be set before aws_cdk starts node.
# DEPRECATED_... covers a Node release past end-of-life; END_OF_LIFE_... (a list of majors) one past jsii's support.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.stacks.eventbridge_services import EventBridgeServicesStack  # noqa: E402


def build_app(app: cdk.App | None = None) -> cdk.App:
    """Add every stack (and the cdk-nag checks) to ``app``. Stacks are environment-agnostic: `cdk deploy` targets
    the account/region of the caller's credentials (standard CDK resolution), and synth is identical everywhere."""
    app = app or cdk.App()
    EventBridgeServicesStack(app, "EventBridgeServicesStack", description="Seed 003: EventBridge-triggered services")
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()

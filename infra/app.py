"""CDK entrypoint (`cdk.json` runs `python -m infra.app`). Synth needs no Docker and no AWS credentials."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk  # (infra/__init__.py silences jsii's Node banner before this import starts node)
from cdk_nag import AwsSolutionsChecks

from infra.stacks.ecommerce import EcommerceStack
from infra.stacks.error_handling import LambdaDestinationDlqStack, LambdaDlqStack, SQSDLQStack
from infra.stacks.eventbridge_services import EventBridgeServicesStack
from infra.stacks.inventory import InventoryStack

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"

# Stack name -> (class, description). Names are part of the contract (docs/DEPLOY.md, local runner).
STACKS: dict[str, tuple[type[cdk.Stack], str]] = {
    "EventBridgeServicesStack": (EventBridgeServicesStack, "Seed 003: EventBridge-triggered container services"),
    "SQSDLQStack": (SQSDLQStack, "Seed 000/001: SQS queue -> function, redrive to a DLQ"),
    "LambdaDlqStack": (LambdaDlqStack, "Seed 000/001: SNS -> function with a function DLQ"),
    "LambdaDestinationDlqStack": (LambdaDestinationDlqStack, "Seed 000/001: SNS -> function with destinations"),
    "InventoryStack": (InventoryStack, "Seed 002: CSV upload -> queue -> inventory table"),
    "EcommerceStack": (EcommerceStack, "Seed 004: product, basket and ordering behind one REST API"),
}

# The service folders (services/<svc>) each stack builds images from.
STACK_SERVICES: dict[str, tuple[str, ...]] = {
    "EventBridgeServicesStack": ("backtosource", "toanother"),
    "SQSDLQStack": ("dlq_demo",),
    "LambdaDlqStack": ("dlq_demo",),
    "LambdaDestinationDlqStack": ("dlq_demo",),
    "InventoryStack": ("inventory_ingest", "inventory_updater"),
    "EcommerceStack": ("product", "basket", "ordering"),
}


def cdk_json_context() -> dict[str, Any]:
    """The context block of cdk.json, so in-process synths (tests) match `cdk synth` exactly."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def build_app(app: cdk.App | None = None, *, only: list[str] | None = None) -> cdk.App:
    """Add the stacks (all, or the names in ``only``) and the cdk-nag checks to ``app``.

    Stacks are environment-agnostic: `cdk deploy` targets the account/region of the caller's credentials (the
    standard CDK resolution) and synth output is the same on every machine, with or without credentials.
    """
    app = app or cdk.App()
    for name, (cls, description) in STACKS.items():
        if only is None or name in only:
            cls(app, name, description=description)
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app


def main() -> None:
    build_app().synth()


if __name__ == "__main__":
    main()

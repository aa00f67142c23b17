"""The topology picture: drawn from the model, every element in it, the same picture for the same model."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from localrun.drawing import graph, render_svg
from localrun.model import (
    EventSourceMapping,
    Function,
    Queue,
    Redrive,
    RestApi,
    Route,
    Rule,
    RuleTarget,
    Table,
    Topology,
)

ARN = "arn:aws:{}:us-east-1:000000000000:{}"
TOPOLOGY = Topology(
    stacks=("Shop",),
    functions=(
        Function(
            "Shop",
            "Api",
            "Shop-Api1A2B3C4D-XYZXYZXYZ1",
            ARN.format("lambda", "function:Shop-Api1A2B3C4D-XYZXYZXYZ1"),
            "basket",
            "h",
            env={"BUS": "Shop-Bus"},
        ),
        Function(
            "Shop",
            "Orders",
            "Shop-Orders",
            ARN.format("lambda", "function:Shop-Orders"),
            "ordering",
            "h",
            env={"TABLE": "Shop-OrderTable"},
        ),
    ),
    queues=(
        Queue("Shop", "Q", "Shop-Q", ARN.format("sqs", "Shop-Q"), redrive=Redrive(ARN.format("sqs", "Shop-Dlq"), 3)),
        Queue("Shop", "Dlq", "Shop-Dlq", ARN.format("sqs", "Shop-Dlq")),
    ),
    tables=(Table("Shop", "OrderTable", "Shop-OrderTable", ARN.format("dynamodb", "table/Shop-OrderTable"), {}),),
    rules=(
        Rule(
            "Shop",
            "R",
            "Shop-Checkout",
            ARN.format("events", "rule/x"),
            "Shop-Bus",
            "{}",
            None,
            True,
            (RuleTarget("t", ARN.format("sqs", "Shop-Q")),),
        ),
    ),
    event_source_mappings=(EventSourceMapping("Shop", "E", "Shop-Orders", ARN.format("sqs", "Shop-Q")),),
    rest_apis=(
        RestApi("Shop", "A", "api1", "ShopApi", "prod", (Route("/basket", "POST", "Shop-Api1A2B3C4D-XYZXYZXYZ1"),)),
    ),
)


def test_the_picture_has_every_element_and_the_path_of_an_order() -> None:
    nodes, edges = graph(TOPOLOGY)
    labels = {n.label for n in nodes}
    assert {"Api", "Orders", "Q", "Dlq", "OrderTable", "Checkout"} <= labels
    pairs = {(a, b) for a, b, _ in edges}
    assert ("api:api1", "fn:Shop-Api1A2B3C4D-XYZXYZXYZ1") in pairs
    assert ("rule:Shop-Checkout", "queue:Shop-Q") in pairs
    assert ("queue:Shop-Q", "fn:Shop-Orders") in pairs and ("queue:Shop-Q", "queue:Shop-Dlq") in pairs
    assert ("fn:Shop-Orders", "table:Shop-OrderTable") in pairs  # named in its environment
    svg = render_svg(TOPOLOGY)
    ET.fromstring(svg)  # well-formed
    assert svg == render_svg(TOPOLOGY)

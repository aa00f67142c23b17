"""State that survives: write through the API and the endpoint, stop the runner, start it again, read it all back.

Each start is its own ``localrun.topology`` process with the same ``--state`` directory, as a developer's Ctrl-C
and ``./runlocally.sh`` again; a third start with ``--fresh`` finds nothing.
"""

from __future__ import annotations

import json
import signal
import uuid
from pathlib import Path
from typing import Any

import pytest
from localrun.instance import free_port
from localrun.launch import LaunchSettings, RunningTopology, spawn
from localrun_testing import TopologyUnderTest, call_api

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _call(api: str, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    status, answer, _ = call_api(api, method, path, body, token=token)
    return status, answer


def _settings(tmp_path: Path, state: Path, *, fresh: bool = False) -> LaunchSettings:
    return LaunchSettings(
        cdk_out=tmp_path / "cdk.out",
        stacks=("EcommerceStack",),
        mode="process",
        time_scale=0.01,
        port=free_port(),
        api_port=free_port(),
        state_dir=state,
        fresh=fresh,
    )


def _outside(running: RunningTopology) -> TopologyUnderTest:
    return TopologyUnderTest(running.endpoint, running.api, ["EcommerceStack"], {}, running.log)


def _stop(running: RunningTopology) -> None:
    running.proc.send_signal(signal.SIGTERM)  # what Ctrl-C does: the runner stops, moto saves its last changes
    running.proc.wait(60)


def test_products_baskets_and_a_dead_lettered_message_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    run = uuid.uuid4().hex[:8]
    # GIVEN a product, a basket and a message left in the order queue's DLQ
    with spawn(_settings(tmp_path, state), tmp_path / "first.log", ready_timeout_s=900) as first:
        admin = _outside(first).token(f"admin{run}", admin=True, pool="EcommerceStack")
        shopper = _outside(first).token(f"u{run}", pool="EcommerceStack")
        product_in = {"name": f"Kept {run}", "price": "4.00", "category": "X"}
        status, product = _call(first.api, "POST", "/product", product_in, admin)
        assert status == 201, product
        basket = {"userName": f"u{run}", "items": [{"productId": product["id"], "quantity": 3}]}
        status, saved_basket = _call(first.api, "POST", "/basket", basket, shopper)
        assert status == 200, saved_basket
        sqs = _outside(first).client("sqs")
        dlq = _outside(first).queue_url("OrderQueueDlq")
        sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"poison": run}))
        # WHEN the runner stops (Ctrl-C) ...
        _stop(first)
    assert any("localrun: stopped" in line for line in first.log)

    # ... and starts again with the same state directory
    with spawn(_settings(tmp_path, state), tmp_path / "second.log", ready_timeout_s=900) as second:
        # THEN the product, the basket and the dead-lettered message are all still there
        assert _call(second.api, "GET", f"/product/{product['id']}") == (200, product)
        # (with the user pool and its users: the token issued before the restart is still good)
        status, basket_again = _call(second.api, "GET", f"/basket/u{run}", token=shopper)
        assert status == 200 and basket_again["items"] == saved_basket["items"], basket_again
        sqs = _outside(second).client("sqs")
        got = sqs.receive_message(QueueUrl=_outside(second).queue_url("OrderQueueDlq"), MaxNumberOfMessages=10)
        assert [json.loads(m["Body"]) for m in got.get("Messages", [])] == [{"poison": run}]
        assert any("state restored" in line for line in second.log), second.log[:10]
        _stop(second)

    # AND --fresh starts empty
    with spawn(_settings(tmp_path, state, fresh=True), tmp_path / "third.log", ready_timeout_s=900) as third:
        assert _call(third.api, "GET", f"/product/{product['id']}")[0] == 404

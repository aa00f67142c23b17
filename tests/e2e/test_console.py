"""The console in a real headless Chromium (Debian's chromium + chromium-driver, via Selenium): the topology, the
trace of a checkout, the three attempts of a failing async event, and a DLQ redrive from the console.

Screenshots go to test-artifacts/console/. In CI a missing browser fails these tests (scripts/ensure-chromium.sh
installs it); elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localrun_testing import TopologyUnderTest, call_api, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.browser]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CONSOLE_ARTIFACTS", REPO / "test-artifacts" / "console"))
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# What Chromium needs to run headless as root in a container, with nothing reaching the network.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,800",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        if os.environ.get("CI") == "true":
            pytest.fail("no headless Chromium: scripts/ensure-chromium.sh should have installed it")
        pytest.skip("no /usr/bin/chromium + chromedriver (run scripts/ensure-chromium.sh as root)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (*CHROMIUM_ARGS, f"--user-data-dir={profile}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _console(topology: TopologyUnderTest) -> str:
    assert topology.console, "the e2e topology runs with its console"
    return topology.console.rstrip("/")


def _text_of(driver: Any, css: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, css).text)


def _wait_text(driver: Any, css: str, check: Any, timeout: float = 90.0) -> str:
    """Wait until the element's text passes ``check``; the page updates itself (server-sent events)."""

    def ready() -> str | None:
        try:
            text = _text_of(driver, css)
        except Exception:  # the element is being swapped by htmx
            return None
        return text if check(text) else None

    try:
        return str(wait_for(ready, timeout=timeout, interval=0.5))
    except AssertionError:
        _shot(driver, "failure")
        raise AssertionError(f"{css} never passed the check; it shows:\n{_text_of(driver, css)}") from None


def _shot(driver: Any, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def _api(topology: TopologyUnderTest, method: str, path: str, body: Any, token: str) -> tuple[int, Any, str]:
    """A call to the REST API with a Cognito ID token: (status, JSON body, trace id from X-Amzn-Trace-Id)."""
    status, answer, headers = call_api(topology.api, method, path, body, token=token)
    trace = headers.get("X-Amzn-Trace-Id", "")
    root = trace.split(";")[0].rsplit("-", 1)[-1]
    return status, answer, root


def _take_back(sqs: Any, url: str, mine: Any, timeout: float = 120.0) -> None:
    """Remove this test's message from a queue the other e2e tests read (they run on the same topology)."""

    def gone() -> bool:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=2, WaitTimeSeconds=1)
        found = False
        for m in got.get("Messages", []):
            if mine(m["Body"]):
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
                found = True
            else:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
        return found

    wait_for(gone, timeout=timeout, interval=0.5)


def test_topology_shows_every_function(local_topology: TopologyUnderTest, browser: Any) -> None:
    # GIVEN the running topology's functions, as the Lambda API lists them
    names = [f["FunctionName"] for f in local_topology.client("lambda").list_functions()["Functions"]]
    assert names
    # WHEN the console's first page opens
    browser.get(_console(local_topology) + "/")
    # THEN its functions table names every one, each a link to its page
    listed = _text_of(browser, "#functions")
    assert [n for n in names if n not in listed] == []
    _shot(browser, "topology")
    from selenium.webdriver.common.by import By

    browser.find_element(By.LINK_TEXT, names[0]).click()
    assert names[0] in browser.find_element(By.TAG_NAME, "h1").text


def test_checkout_trace_follows_the_order_to_its_table(local_topology: TopologyUnderTest, browser: Any) -> None:
    local_topology.require("EcommerceStack")
    run = uuid.uuid4().hex[:8]
    buyer = f"tracer{run}"
    admin = local_topology.token(f"admin{run}", admin=True, pool="EcommerceStack")
    user = local_topology.token(buyer, pool="EcommerceStack")
    # GIVEN a basket with a product
    status, product, _ = _api(
        local_topology, "POST", "/product", {"name": f"Lamp {run}", "price": "4.00", "category": "Home"}, admin
    )
    assert status == 201, product
    basket = {"userName": buyer, "items": [{"productId": product["id"], "quantity": 1}]}
    assert _api(local_topology, "POST", "/basket", basket, user)[0] == 200
    # WHEN it is checked out through the API
    checkout = {
        "userName": buyer,
        "firstName": "Ada",
        "lastName": "L",
        "email": "ada@example.com",
        "address": "1 Way",
        "paymentMethod": "card",
    }
    status, accepted, trace = _api(local_topology, "POST", "/basket/checkout", checkout, user)
    assert status == 202, accepted
    assert len(trace) == 24, "the API answers with the request's X-Amzn-Trace-Id"
    # THEN the trace list finds it by its id, and its page shows every hop to the order's write
    browser.get(f"{_console(local_topology)}/traces?q={trace}")
    from selenium.webdriver.common.by import By

    wait_for(lambda: browser.find_elements(By.LINK_TEXT, trace[:12]), timeout=30, interval=0.5)[0].click()
    text = _wait_text(browser, "#hops", lambda t: "OrderTable" in t and "OrderingCheckoutFunction" in t)
    hops = [line for line in text.splitlines() if line.strip()]
    order = [
        next(i for i, h in enumerate(hops) if "POST /basket/checkout" in h),  # the API request
        next(i for i, h in enumerate(hops) if "BasketApiFunction" in h and "invoke" in h),  # the basket function
        next(i for i, h in enumerate(hops) if "PutEvents" in h),  # -> the bus
        next(i for i, h in enumerate(hops) if h.startswith("+") and " rule " in h and "CheckoutRule" in h),
        next(i for i, h in enumerate(hops) if "OrderQueue" in h and " queue " in h),  # -> the queue
        next(i for i, h in enumerate(hops) if "OrderingCheckoutFunction" in h and "invoke" in h),  # -> ordering
        next(i for i, h in enumerate(hops) if "table-write" in h and "OrderTable" in h),  # the order's write
    ]
    put, rule, queued, ordering, write = order[2:]
    # the hops in causal order (an invocation's hop is recorded when it ends, after the writes it made)
    assert put < rule < queued < ordering and queued < write, hops
    assert "ok" in hops[ordering]
    assert any(h.startswith("log lines (") for h in hops[ordering:]), "the ordering run's own log lines are kept"
    _shot(browser, "trace-checkout")


def test_failing_async_event_shows_three_attempts_and_the_failure_destination(
    local_topology: TopologyUnderTest, browser: Any
) -> None:
    local_topology.require("LambdaDestinationDlqStack")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    fn = next(
        f["FunctionName"]
        for f in local_topology.client("lambda").list_functions()["Functions"]
        if f["FunctionName"].startswith("LambdaDestinationDlqStack-")
    )
    # GIVEN the function's page, with its sample events offered
    browser.get(f"{_console(local_topology)}/functions/{fn}?sample=direct_fail.json")
    payload = browser.find_element(By.ID, "payload")
    assert json.loads(payload.get_attribute("value")) == {"pass": False}
    # WHEN it is invoked asynchronously from the console with {"pass": false}
    Select(browser.find_element(By.ID, "type")).select_by_value("Event")
    browser.find_element(By.XPATH, "//button[contains(., 'Invoke and open the trace')]").click()
    # THEN its trace (opened at once) shows three attempts, the retries' waits and the on-failure destination
    text = _wait_text(browser, "#hops", lambda t: "destination" in t and "OnFailure" in t)
    for n in (1, 2, 3):
        assert f"attempt {n} of 3" in text, text
    assert text.count("retry in") == 2 and "RetriesExhausted" in text
    _shot(browser, "trace-failure-destination")
    browser.get(f"{_console(local_topology)}/traces?status=failed")
    assert fn[:20] in _text_of(browser, "#trace-list")
    # the destination record of this direct invoke (no SNS envelope) is not the error-handling tests' to read
    on_failure = local_topology.queue_url("LambdaDestinationDlqStack-", "OnFailure")
    _take_back(
        local_topology.client("sqs"), on_failure, lambda body: json.loads(body)["requestPayload"] == {"pass": False}
    )


def test_dlq_message_redriven_from_the_console_is_processed_again(
    local_topology: TopologyUnderTest, browser: Any
) -> None:
    local_topology.require("SQSDLQStack")
    from selenium.webdriver.common.by import By

    sqs = local_topology.client("sqs")
    queue = local_topology.queue_url("SQSDLQStack-", "ConsumerQueue")
    dlq = local_topology.queue_url("SQSDLQStack-", "ConsumerDlq")
    # GIVEN a message that failed until SQS moved it to the DLQ
    run = uuid.uuid4().hex
    sent = sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"pass": False, "run": run}))
    message_id = sent["MessageId"]

    def in_dlq() -> bool:
        browser.get(f"{_console(local_topology)}/queues/{dlq.rsplit('/', 1)[1]}")
        return message_id[:8] in _text_of(browser, "main")

    wait_for(in_dlq, timeout=120, interval=1.0)
    assert "received more than" in _text_of(browser, "#dlq-messages")  # its cause
    _shot(browser, "dlq")
    # WHEN it is redriven from the console
    browser.find_element(By.CSS_SELECTOR, f"button[aria-label='Redrive message {message_id[:8]}']").click()
    # THEN its trace shows the redrive and the consumer receiving it again, as a new message on the source queue
    text = _wait_text(browser, "#hops", lambda t: "redrive" in t and "(receive 1" in t[t.rfind("redrive") :])
    after = text[text.rfind("redrive") :]
    assert "ConsumerQueue143592FF -> DemoFunction" in after or "-> DemoFunction" in after, text
    _shot(browser, "trace-redrive")
    _take_back(sqs, dlq, lambda body: run in body)  # it fails again: back in the DLQ, which other tests read

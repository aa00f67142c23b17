"""The seed's contract: a payload that does not pass fails the invocation with a fixed message."""

from __future__ import annotations

from dlq_demo.models.payload import DemoPayload

FAIL_MESSAGE = "Fail the Lambda function."


def process(payload: DemoPayload) -> None:
    """Succeed for ``pass: true``.

    Raises
    ------
    ValueError
        ``Fail the Lambda function.`` for ``pass: false``. Exactly ``ValueError``: the seed's docs show
        ``errorType: ValueError`` in the on-failure destination record and the DLQ message attributes.
    """
    if not payload.pass_:
        raise ValueError(FAIL_MESSAGE)

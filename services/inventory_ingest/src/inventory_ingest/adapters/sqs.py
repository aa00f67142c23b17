"""SQS adapter: SendMessageBatch with the per-entry failures retried, never ignored."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError
from lambda_common.errors import DependencyError

from inventory_ingest.models.inventory import InventoryUpdateMessage

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

MAX_BATCH = 10  # the SendMessageBatch limit


class PublishError(DependencyError):
    """Some messages could not be queued; the message says which and why."""


class SqsUpdatePublisher:
    """Sends batches of up to 10 messages.

    Entries listed in the response's ``Failed`` are retried with backoff, up to ``max_attempts`` in all; entries the
    service blames on the sender (``SenderFault``) cannot succeed on retry and fail at once.
    """

    max_batch = MAX_BATCH

    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        *,
        max_attempts: int = 5,
        base_delay: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._sqs = sqs
        self._queue_url = queue_url
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._sleep = sleep

    def flush(self) -> None:
        """Nothing to wait for: :meth:`publish` returns when its batch is accepted."""

    def publish(self, messages: Sequence[InventoryUpdateMessage]) -> None:
        if len(messages) > MAX_BATCH:
            raise ValueError(f"at most {MAX_BATCH} messages per batch, got {len(messages)}")
        # Ids only need to be unique within one call.
        pending: dict[str, SendMessageBatchRequestEntryTypeDef] = {
            str(i): {"Id": str(i), "MessageBody": m.model_dump_json()} for i, m in enumerate(messages)
        }
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=list(pending.values()))
            except ClientError as exc:  # botocore has already retried throttling and 5xx
                raise PublishError(f"SendMessageBatch failed: {exc}") from exc
            failed = response.get("Failed", [])
            for ok in response.get("Successful", []):
                pending.pop(ok["Id"], None)
            if not failed:
                return
            fatal = [f for f in failed if f.get("SenderFault")]
            if fatal:
                details = "; ".join(f"{f['Code']}: {f.get('Message', '')}" for f in fatal)
                raise PublishError(f"{len(fatal)} message(s) rejected by SQS: {details}")
            if attempt < self._max_attempts:
                self._sleep(self._base_delay * 2 ** (attempt - 1))
        codes = sorted({f["Code"] for f in failed})
        raise PublishError(f"{len(pending)} message(s) still failing after {self._max_attempts} attempts: {codes}")

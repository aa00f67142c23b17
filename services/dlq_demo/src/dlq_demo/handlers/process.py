"""Lambda entrypoint ``dlq_demo.handlers.process.handler``, the same image behind all three patterns.

* **Direct invoke** (``aws lambda invoke --invocation-type Event``): the event is the payload. Failure raises
  ``ValueError("Fail the Lambda function.")``; Lambda's async retries, then the DLQ or on-failure destination, follow.
* **SNS** (async invoke by the subscription): each record's ``Sns.Message`` is the payload; failures raise as above.
* **SQS** (event source mapping): each record's ``body`` is the payload. Records go through Powertools'
  ``BatchProcessor``, so with ``ReportBatchItemFailures`` on the mapping and a batch size above 1 only failing
  messages return to the queue. The choice is deliberate: the seed's SQSDLQStack uses batch size 1, where this
  behaves exactly like raising (Powertools raises when every record of a batch failed, so the invocation errors and
  the message is retried until ``maxReceiveCount`` moves it to the DLQ), and larger batches stay correct instead of
  retrying good messages with a bad one. The mapping MUST enable ``ReportBatchItemFailures``: without it a partly
  failed batch would be deleted whole.

A payload without ``pass`` (or with a non-boolean ``pass``) or a body that is not JSON fails with pydantic's
``ValidationError`` naming the problem, never a ``KeyError``.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from lambda_common.logging import get_logger
from lambda_common.settings import load_settings

from dlq_demo.domain.process import process
from dlq_demo.models.envelopes import InvocationPath, SnsEvent, path_of
from dlq_demo.models.payload import DemoPayload
from dlq_demo.settings import DemoSettings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

settings = load_settings(DemoSettings)
logger = get_logger()


@cache
def sqs_processor() -> BatchProcessor:
    # Loaded on the first SQS batch: Powertools' batch utility pulls in all its event data classes (35-45 ms of a
    # cold start), which direct and SNS invocations never use.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

    return BatchProcessor(event_type=EventType.SQS)


def _sqs_record(record: SQSRecord) -> None:
    process(DemoPayload.model_validate_json(record.body))


def _direct_payload(event: Any) -> DemoPayload:
    if isinstance(event, str | bytes):  # e.g. --payload '"{\"pass\": true}"'
        return DemoPayload.model_validate_json(event)
    return DemoPayload.model_validate(event)


@logger.inject_lambda_context(log_event=True)
def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    path = path_of(event)
    logger.append_keys(invocation_path=path.value)
    if path is InvocationPath.SQS:
        from aws_lambda_powertools.utilities.batch import process_partial_response

        return dict(
            process_partial_response(
                event=event, record_handler=_sqs_record, processor=sqs_processor(), context=context
            )
        )
    if path is InvocationPath.SNS:
        records = SnsEvent.model_validate(event).records
        for record in records:  # SNS delivers one record per invocation
            process(DemoPayload.model_validate_json(record.sns.message))
        return {"path": path.value, "processed": len(records)}
    process(_direct_payload(event))
    return {"path": path.value, "processed": 1}

"""Where an async invocation's outcome goes: its on-success / on-failure destination, and the function's DLQ."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from localrun.journal import Journal
from localrun.model import Function, arn_service, bus_name_from_arn, function_name_from_arn
from localrun.records.destination import Outcome, destination_detail_type, destination_record, dlq_message_attributes
from localrun.traces import TraceStore

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

    from localrun.aws import BackendClients

# Queue an async invocation: (function name, payload, correlation id, via) -> request id.
InvokeAsync = Callable[[str, bytes, str, str], str]


class Destinations:
    """Sends destination records and DLQ messages straight to the backend, the way Lambda does."""

    def __init__(
        self, clients: BackendClients, journal: Journal, invoke_async: InvokeAsync, traces: TraceStore
    ) -> None:
        self._traces = traces
        self._clients = clients
        self._journal = journal
        self._invoke_async = invoke_async

    def deliver(self, destination: str, outcome: Outcome, fn: Function, corr: str) -> None:
        body = json.dumps(destination_record(outcome))
        service = arn_service(destination)
        c = self._clients
        try:
            if service == "sqs":
                sent = c.sqs.send_message(QueueUrl=c.queue_url(destination), MessageBody=body)
                self._traces.link(sent["MessageId"], corr)
            elif service == "sns":
                self._traces.link(c.sns.publish(TopicArn=destination, Message=body)["MessageId"], corr)
            elif service == "events":
                resp = c.events.put_events(
                    Entries=[
                        {
                            "Source": "lambda",
                            "DetailType": destination_detail_type(outcome.condition),
                            "Detail": body,
                            "Resources": [destination, f"{fn.arn}:$LATEST"],
                            "EventBusName": bus_name_from_arn(destination),
                        }
                    ]
                )
                if resp.get("FailedEntryCount"):
                    raise RuntimeError(f"PutEvents failed: {resp['Entries']}")
                for entry in resp["Entries"]:
                    if entry.get("EventId"):
                        self._traces.link(entry["EventId"], corr)
            elif service == "lambda":
                self._invoke_async(function_name_from_arn(destination), body.encode(), corr, "destination")
                return
            else:
                raise ValueError(f"unsupported destination {destination}")
        except Exception as exc:
            self._journal.log(
                "dest-fail", f"{fn.logical_id} {outcome.condition} -> {destination}: {exc}", corr, ok=False
            )
            return
        self._journal.log(
            "destination",
            f"{fn.logical_id} {outcome.condition} -> {_short(destination)}",
            corr,
            destination=destination,
            condition=str(outcome.condition),
            output=body,
        )

    def to_dlq(self, fn: Function, payload: bytes, request_id: str, error_message: str, corr: str) -> None:
        dlq = fn.dlq_arn
        if dlq is None:
            return
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            k: {"DataType": v["DataType"], "StringValue": v["StringValue"]}
            for k, v in dlq_message_attributes(request_id, error_message).items()
        }
        c = self._clients
        try:
            if arn_service(dlq) == "sns":
                sent = c.sns.publish(TopicArn=dlq, Message=payload.decode(), MessageAttributes=attributes)
            else:
                url = c.queue_url(dlq)
                sent = c.sqs.send_message(QueueUrl=url, MessageBody=payload.decode(), MessageAttributes=attributes)
            self._traces.link(sent["MessageId"], corr)
        except Exception as exc:
            self._journal.log("dlq-fail", f"{fn.logical_id} -> {dlq}: {exc}", corr, ok=False)
            return
        self._journal.log("dlq", f"{fn.logical_id} -> {_short(dlq)}", corr, destination=dlq, cause=error_message)


def _short(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]

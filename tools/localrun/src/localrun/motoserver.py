"""moto's patches for a local system, and moto with them as a process of its own.

    python -m localrun.motoserver --port N [--account-id 000000000000]

The runner runs moto inside its own process (``localrun.motobackend``). The process here serves the bench, which
runs functions against moto without a runner, and the tests of the patches.

Patches applied by :func:`apply_patches`, each because the unpatched behaviour is wrong or unusable for a local
system (moto 5.2):

* the EventBridge envelope gets ``account``, which moto drops, and the JSONPaths moto builds it with are compiled
  once (:func:`patch_event_path_cache`), not eight times per target per event;
* SQS bookkeeping is made linear and cheap (see :func:`patch_sqs_scans`): unpatched, one SendMessageBatch to a
  queue holding 2,000 messages took ~0.5 s and a receive ~2.4 s, so a 10,000-row inventory file never drained;
* SQS calls that rewrite a queue's messages are serialised (:func:`patch_sqs_locking`): unpatched, concurrent
  sends and deletes lost messages and brought deleted ones back; a received message is copied without
  ``copy.deepcopy``'s dispatch per attribute (:func:`patch_sqs_received_copies`);
* the backend serving a host is looked up once, not on every request (:func:`patch_backend_lookup`), and so are a
  response class's methods (:func:`patch_action_lookup`);
* DynamoDB writes are serialised (:func:`patch_dynamodb_atomic_writes`): unpatched, two conditional writes to one
  item from concurrent requests could both pass their condition, so the claim behind an exactly-once checkout
  held only by luck;
* a TransactWriteItems copies what its rollback needs, not whole tables (:func:`patch_dynamodb_transaction_copies`):
  moto's copies made a transaction cost O(table size) under the write lock;
* a Query on a table's own keys reads the queried partition, not every item of the table sorted
  (:func:`patch_dynamodb_query_partition`);
* items are copied without ``copy.deepcopy``'s dispatch for every attribute value
  (:func:`patch_dynamodb_item_copies`): moto copies every item a Query answers with;
* SNS notifications are signed with one certificate per subscription (:func:`patch_sns_signing_certificate`):
  moto made and kept a new certificate per message; those to HTTP(S) subscriptions are posted after Publish
  answers, as SNS posts them (:func:`patch_sns_http_delivery`), not before it, without a timeout;
* a DynamoDB condition or filter expression is parsed once, not twice per request
  (:func:`patch_dynamodb_condition_cache`);
* a result dict's members are read by the aliases moto's picker would try, computed once per member
  (:func:`patch_serializer_dict_members`), not six alias providers per member of every answer; a parsed request's
  parameters are read by two dict lookups (:func:`patch_param_lookup`), not through a ``ChainMap`` that raises for
  every absent one; a JSON answer is not searched for a ``<RequestId>`` by a regular expression
  (:func:`patch_response_request_id`); a query-protocol answer's XML is written without xmltodict's SAX generator
  (:func:`patch_query_xml_body`); a JSON-protocol request is read by converters built once per input shape
  (:func:`patch_json_request_parse`);
* DynamoDB attribute values are written straight into JSON answers (:func:`patch_dynamodb_attribute_values`):
  moto's generic serializer spent ~75% of a 20-item Query on them;
* request ids and SQS receipt handles are drawn from random bytes (:func:`patch_random_strings`), not one
  ``random.choice`` per character (~46 us per message received);
* S3 event records get the ``sequencer`` (and, in a versioned bucket, the ``versionId``) that S3 puts in them
  (:func:`patch_s3_event_sequencer`): moto's have neither, and consumers order the writes of a key by it.

Each patch checks that moto still has what it replaces and otherwise leaves moto as it is, saying so on stderr;
tests/unit/localrun/test_motoserver.py fails when a patch no longer applies to the pinned moto. Why no public API of
moto serves instead, patch by patch: tools/localrun/README.md ("Patches of moto").
"""

from __future__ import annotations

import argparse
import base64
import copy
import functools
import inspect
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, cast, overload

from localrun.httploop import WouldBlock, must_not_wait

START_TIMEOUT_S = 60.0

ENVELOPE_TEMPLATE = (
    '{"version": "0", "id": "<id>", "detail-type": "<detail-type>", "source": "<source>", "account": "<account>",'
    ' "time": <time>, "region": "<region>", "resources": <resources>, "detail": <detail>}'
)


_ABSENT = object()
_replaced: list[tuple[object, str, object]] = []  # (owner, name, what it had) in the order replaced


def _replace(owner: object, name: str, value: object) -> None:
    """Set ``owner.name``, remembering what it had (so :func:`revert_patches` can put it back)."""
    _replaced.append((owner, name, vars(owner).get(name, _ABSENT)))
    setattr(owner, name, value)


def patch_event_envelope() -> bool:
    """moto drops ``account`` from the events it delivers to targets; AWS's envelope has it, in this order."""
    from moto.events.utils import EventTemplateParser

    if not hasattr(EventTemplateParser, "DEFAULT_EVENT_INPUT_TEMPLATE"):
        return _skipped("event envelope")
    _replace(EventTemplateParser, "DEFAULT_EVENT_INPUT_TEMPLATE", ENVELOPE_TEMPLATE)
    return True


def patch_event_path_cache() -> bool:
    """Compile each JSONPath of an event's input paths once, not for every target of every event.

    moto builds a target's input by evaluating eight JSONPaths (``$.detail``, ``$.source``, ...) with
    ``jsonpath_ng.ext.parse``, which builds a new PLY lexer and parser per call: ~2.2 of the ~2.5 ms PutEvents took
    in moto for an event matching one rule. A parsed path is an immutable expression tree, so one per distinct
    string serves every later event.
    """
    import jsonpath_ng.ext

    parse = getattr(jsonpath_ng.ext, "parse", None)
    if parse is None or hasattr(parse, "cache_info"):
        return _skipped("event path cache")
    _replace(jsonpath_ng.ext, "parse", functools.lru_cache(maxsize=1024)(parse))
    return True


def _now_ms() -> float:
    return time.time() * 1000.0


# Replacements for moto's SQS bookkeeping (see patch_sqs_scans); ``self`` is a moto Queue, Message or SQSBackend.
class _VisibleMessages(Sequence[Any]):
    """A queue's visible messages, as moto's ``Queue.messages`` lists them (the clock read once, when asked for),
    found as they are iterated: moto's receive stops once it has the messages it wants, so a receive from a deep
    queue no longer checks every message in it. Asked for its length or an item, it lists them all. moto iterates it
    under the queue's lock (:func:`patch_sqs_locking`), so the queue does not change meanwhile."""

    def __init__(self, queue: Any) -> None:
        self._messages: list[Any] = queue._messages
        self._now = _now_ms()
        self._listed: list[Any] | None = None

    def __iter__(self) -> Iterator[Any]:
        if self._listed is not None:
            return iter(self._listed)
        now = self._now
        return (m for m in self._messages if now > m.visible_at and not now < m.delayed_until)

    def _all(self) -> list[Any]:
        if self._listed is None:
            self._listed = list(iter(self))
        return self._listed

    def __len__(self) -> int:
        return len(self._all())

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return self._all()[index]


def _pending_message_groups(self: Any) -> set[str]:
    """moto's, for a FIFO queue; an empty set for a standard one, whose receive never reads it (moto built it from
    every message in flight on every receive)."""
    if not self.fifo_queue:
        return set()
    return {message.group_id for message in self._pending_messages if message.group_id is not None}


def _count_not_visible(self: Any) -> int:
    now = _now_ms()
    return sum(1 for m in self._messages if not now > m.visible_at)


def _count_delayed(self: Any) -> int:
    now = _now_ms()
    return sum(1 for m in self._messages if now < m.delayed_until)


def _had_receipt_handle(self: Any, receipt_handle: str) -> bool:
    return bool(receipt_handle == self.receipt_handle or receipt_handle in self._old_receipt_handles)


def _delete_message(self: Any, receipt_handle: str) -> None:
    from moto.sqs.exceptions import ReceiptHandleIsInvalid

    if receipt_handle in self.deleted_messages:
        return  # deleting twice is fine
    keep, found = [], False
    for m in self._messages:
        if m.receipt_handle == receipt_handle or receipt_handle in m._old_receipt_handles:
            found = True
            self.pending_messages.discard(m)
            self.deleted_messages.update(m.all_receipt_handles)
        else:
            keep.append(m)
    if not found:
        raise ReceiptHandleIsInvalid()
    self._messages = keep


class _QueueAttributes(Mapping[str, Any]):
    """A queue's attributes as moto builds them (same names, order and values), each computed when read: moto built
    them all, three whole-queue scans for the message counts included, to read one (ContentBasedDeduplication) on
    every message sent, so a send cost O(messages in the queue)."""

    def __init__(self, queue: Any) -> None:
        self._queue = queue
        names = list(queue.BASE_ATTRIBUTES)
        names += queue.FIFO_ATTRIBUTES if queue.fifo_queue else []
        names += queue.KMS_ATTRIBUTES if queue.kms_master_key_id else []
        names += ["Policy"] if queue.policy else []
        names += ["RedrivePolicy"] if queue.redrive_policy else []
        self._names = dict.fromkeys(names)

    def __getitem__(self, name: str) -> Any:
        from moto.core.utils import camelcase_to_underscores

        if name not in self._names:
            raise KeyError(name)
        if name == "Policy" and self._queue.policy:
            return self._queue.policy
        if name == "RedrivePolicy" and self._queue.redrive_policy:
            return json.dumps(self._queue.redrive_policy)
        value = getattr(self._queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _within_retention(self: Any, queue_name: str, message: Any) -> bool:
    retention = int(self.get_queue(queue_name).message_retention_period)
    return bool(retention + message.sent_timestamp / 1000 > time.time())


def patch_sqs_scans() -> bool:
    """Make moto's SQS queue scans cheap, with the same results.

    moto asks for the time as a ``datetime`` (~12 us) once per message per check; every SendMessage builds all
    queue attributes (three full scans for the approximate counts), and so does every message received (to read
    the retention period); a delete scans the queue twice, building a list per message. Here the clock is read
    once per scan, as a float from the same wall clock moto uses; receipt handles are matched without building
    lists, a delete scans once, the retention check reads the one attribute it needs, and a queue's attributes are
    computed when read (:class:`_QueueAttributes`), so a send no longer scans the queue. A receive finds the visible
    messages as it takes them (:class:`_VisibleMessages`) and a standard queue's receive no longer collects the groups
    of every message in flight: one message from a queue holding 5,000 visible ones 776 -> 213 us in-process, with
    5,000 in flight 1,594 -> 372 us.
    """
    import moto.sqs.exceptions as sqs_exceptions
    import moto.sqs.models as sqs_models
    from moto.core.utils import unix_time, unix_time_millis

    queue_cls: Any = sqs_models.Queue
    message_cls: Any = sqs_models.Message
    backend_cls: Any = sqs_models.SQSBackend
    message = message_cls("probe", "body")
    queue = queue_cls("probe", region="us-east-1", account_id="000000000000")
    needs = [
        (message, ("visible_at", "delayed_until", "receipt_handle", "_old_receipt_handles", "sent_timestamp")),
        (queue, ("_messages", "message_retention_period", "deleted_messages", "pending_messages", "attributes")),
        (queue, ("_pending_messages", "pending_message_groups")),
        (queue, ("BASE_ATTRIBUTES", "FIFO_ATTRIBUTES", "KMS_ATTRIBUTES", "fifo_queue", "kms_master_key_id")),
        (queue, ("policy", "redrive_policy")),
        (backend_cls, ("get_queue", "is_message_valid_based_on_retention_period")),
        (sqs_models, ("unix_time", "unix_time_millis")),
        (sqs_exceptions, ("ReceiptHandleIsInvalid",)),
    ]
    if not all(hasattr(owner, name) for owner, names in needs for name in names):
        return _skipped("sqs scans")

    def fast_unix_time(dt: Any = None) -> float:
        return time.time() if dt is None else unix_time(dt)

    def fast_unix_time_millis(dt: Any = None) -> float:
        return _now_ms() if dt is None else unix_time_millis(dt)

    # The module's own names: moto.sqs.models imported them from moto.core.utils.
    _replace(sqs_models, "unix_time", fast_unix_time)
    _replace(sqs_models, "unix_time_millis", fast_unix_time_millis)
    _replace(queue_cls, "messages", property(_VisibleMessages))
    _replace(queue_cls, "pending_message_groups", property(_pending_message_groups))
    _replace(queue_cls, "attributes", property(_QueueAttributes))
    _replace(queue_cls, "approximate_number_of_messages_not_visible", property(_count_not_visible))
    _replace(queue_cls, "approximate_number_of_messages_delayed", property(_count_delayed))
    _replace(queue_cls, "delete_message", _delete_message)
    _replace(message_cls, "had_receipt_handle", _had_receipt_handle)
    _replace(backend_cls, "is_message_valid_based_on_retention_period", _within_retention)
    return True


def patch_backend_lookup() -> bool:
    """Remember which backend serves a host: moto matched the request's host against every backend's URL patterns
    on every request (~12% of the moto process's CPU during an inventory upload), and the answer never changes."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    app_cls: Any = DomainDispatcherApplication
    if not hasattr(app_cls, "get_backend_for_host"):
        return _skipped("backend lookup")
    lookup = app_cls.get_backend_for_host

    def cached_lookup(self: Any, host: str | None) -> Any:
        known: dict[str | None, Any] = self.__dict__.setdefault("_localrun_backend_for_host", {})
        if host not in known:
            known[host] = lookup(self, host)
        return known[host]

    _replace(app_cls, "get_backend_for_host", cached_lookup)
    return True


def patch_action_lookup() -> bool:
    """Know each response class's methods once: moto listed them with ``inspect.getmembers`` on every request, to
    check that the action is one (~12% of a GetItem in moto's process), and a class's methods never change. The
    action's method name is remembered too: moto converts the action (``TransactWriteItems``) to snake case a
    character at a time on every request (~4 us), and the conversion depends on the name alone."""
    import moto.core.responses as responses

    listing = getattr(responses, "method_names_from_class", None)
    snake_case = getattr(responses, "camelcase_to_underscores", None)
    if listing is None or snake_case is None or not hasattr(responses.BaseResponse, "call_action"):
        return _skipped("action lookup")

    @functools.cache
    def method_names(clazz: type) -> frozenset[str]:
        return frozenset(listing(clazz))

    _replace(responses, "method_names_from_class", method_names)
    # bounded: the action comes from the request (an X-Amz-Target or a form's Action), whatever a client sends
    _replace(responses, "camelcase_to_underscores", functools.lru_cache(maxsize=_MAX_ACTIONS)(snake_case))
    return True


_MAX_ACTIONS = 4096  # action names whose snake case is remembered (least recently used first out)


def patch_sqs_locking() -> bool:
    """Serialise the calls that rewrite a queue's message list, so concurrent callers lose nothing.

    moto's DeleteMessage rebuilds the list and assigns it back, and a receive moves messages to the DLQ, both without
    the queue's lock that SendMessage appends under. Concurrently (an ingest sending while two pollers delete), a
    sent message could vanish and a deleted one come back: measured here, 4 senders and 3 consumers of 6,000
    messages lost 141 and resurrected 878. The lock is the queue's own (reentrant) condition; a long-polling receive
    releases it while it waits.

    A long poll must not wait on the endpoint's loop (``localrun.httploop``), which answers every other client: there
    it is tried without waiting, and when that finds nothing, :class:`WouldBlock` has it asked again on a thread of
    its own, where it waits.
    """
    import moto.sqs.models as sqs_models

    queue_cls: Any = sqs_models.Queue
    backend_cls: Any = sqs_models.SQSBackend
    probe = queue_cls("probe", region="us-east-1", account_id="000000000000")
    receive_params = list(inspect.signature(backend_cls.receive_message).parameters)[:4]
    if (
        not hasattr(probe, "_messages_lock")
        or not hasattr(backend_cls, "get_queue")
        or receive_params != ["self", "queue_name", "count", "wait_seconds_timeout"]
    ):
        return _skipped("sqs locking")
    delete_message = queue_cls.delete_message
    receive_message = backend_cls.receive_message

    def locked_delete(self: Any, receipt_handle: str) -> None:
        with self._messages_lock:
            delete_message(self, receipt_handle)

    def locked_receive(self: Any, queue_name: str, count: int, wait_s: int, *args: Any, **kwargs: Any) -> Any:
        with self.get_queue(queue_name)._messages_lock:
            if wait_s and must_not_wait():  # a long poll on the endpoint's loop: there only if it need not wait
                got = receive_message(self, queue_name, count, 0, *args, **kwargs)
                if not got:
                    raise WouldBlock
                return got
            return receive_message(self, queue_name, count, wait_s, *args, **kwargs)

    _replace(queue_cls, "delete_message", locked_delete)
    _replace(backend_cls, "receive_message", locked_receive)
    return True


class _Sequencer:
    """S3's ``sequencer``: a hex string that grows with every write of a key (here: with every write at all)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> str:
        with self._lock:
            # Time-based like S3's, and strictly increasing even within one nanosecond tick.
            self._last = max(time.time_ns(), self._last + 1)
            return f"{self._last:018X}"


def patch_s3_event_sequencer() -> bool:
    """Give moto's S3 event records the ``sequencer`` and ``versionId`` S3 puts in them.

    AWS: for one object key, the event with the greater sequencer (compared after left-padding the shorter with
    zeros) is the later write. moto 5.2 sends neither field to SQS/SNS/Lambda targets, so a consumer ordering the
    uploads of a key could not. One write gets one sequencer, whatever number of configurations it matches.
    """
    import moto.s3.notifications as notifications

    if not hasattr(notifications, "_get_s3_event"):
        return _skipped("s3 event sequencer")
    build_event = notifications._get_s3_event  # noqa: SLF001 - the function every S3 notification is built by
    sequencer = _Sequencer()

    def with_sequencer(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event: dict[str, Any] = build_event(event_name, bucket, key, notification_id)
        # One sequencer per write: moto creates a key object per write and builds one event per matching target.
        seq = key.__dict__.setdefault("_localrun_sequencer", sequencer.next())
        for record in event.get("Records", []):
            obj = record["s3"]["object"]
            obj["sequencer"] = seq
            if getattr(bucket, "is_versioned", False) and getattr(key, "version_id", None):
                obj["versionId"] = key.version_id
        return event

    _replace(notifications, "_get_s3_event", with_sequencer)
    return True


def patch_dynamodb_atomic_writes() -> bool:
    """Make each DynamoDB write one atomic step, as DynamoDB's are: a condition and the write it guards.

    moto evaluates a ConditionExpression and then writes, in plain Python, while the threaded server runs other
    requests in between: two concurrent ``attribute_not_exists`` puts of one key could both succeed. One lock over
    the write calls (they are cheap beside the HTTP handling around them) restores the guarantee.
    """
    import moto.dynamodb.models as dynamodb_models

    backend_cls: Any = dynamodb_models.DynamoDBBackend
    names = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
    if not all(hasattr(backend_cls, name) for name in names):
        return _skipped("dynamodb atomic writes")
    lock = threading.RLock()
    for name in names:
        original = getattr(backend_cls, name)

        def serialised(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with lock:
                return _original(self, *args, **kwargs)

        _replace(backend_cls, name, serialised)
    return True


class _TransactionKeys(threading.local):
    """The items the TransactWriteItems in flight on this thread touches (table name -> (hash, range) keys), and what
    its cancellation would put back in its tables (table name -> :class:`_Undo`), kept so far."""

    touched: dict[str, list[tuple[Any, Any]]] | None = None
    undos: dict[str, _Undo] | None = None


class _Undo:
    """What a cancelled transaction puts back in one table, taken before its first write: the items it touches
    (copied deeply: an Update changes its item in place), the partitions of its keys as they were (a range key
    table's), which of its hash keys had none, the table's and its stream's own attributes, and the stream's records.
    Nothing else can change meanwhile: the transaction runs under the DynamoDB write lock
    (:func:`patch_dynamodb_atomic_writes`)."""

    def __init__(self, table: Any, keys: list[tuple[Any, Any]]) -> None:
        self.table = table
        self.attributes = dict(vars(table))
        items = table.items
        self.absent = {hash_key for hash_key, _ in keys if hash_key not in items}
        self.kept: dict[Any, Any] = {}  # hash key -> its partition (range key tables) or its item, as they were
        for hash_key, range_key in keys:
            if hash_key in self.absent:
                continue
            if range_key is None:
                self.kept[hash_key] = copy.deepcopy(items[hash_key])
                continue
            partition = self.kept.setdefault(hash_key, dict(items[hash_key]))
            if range_key in partition:
                partition[range_key] = copy.deepcopy(partition[range_key])
        shard = table.stream_shard
        self.shard = None if shard is None else (shard, dict(vars(shard)), list(shard.items))

    def restore(self) -> None:
        items = self.table.items
        for hash_key in self.absent:
            items.pop(hash_key, None)
        items.update(self.kept)
        vars(self.table).update(self.attributes)
        if self.shard is not None:
            shard, attributes, records = self.shard
            vars(shard).update(attributes)
            shard.items = records


def patch_dynamodb_transaction_copies() -> bool:
    """Let a TransactWriteItems keep what its cancellation puts back, not copies of every table it touches.

    moto deep-copies each table a transaction names before running it, and puts the copy in the table's place if the
    transaction is cancelled: a transaction cost O(table size) (~14 ms once bench's table held ~600 items; 5.6x
    ministack) and held the DynamoDB write lock meanwhile. Here moto's copy is the table itself, and what the
    transaction may change is kept aside (:class:`_Undo`, O(the transaction's items)); when moto cancels the
    transaction, that is put back in the table. A request whose keys cannot be read (moto will refuse it) gets
    moto's own deep copy.
    """
    import moto.dynamodb.models as dynamodb_models
    from moto.dynamodb.exceptions import (
        MockValidationException,
        MultipleTransactionsException,
        TransactionCanceledException,
    )
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    backend_cls: Any = dynamodb_models.DynamoDBBackend
    # moto's own method (another patch may wrap it): it must still take its rollback copies with copy.deepcopy, and
    # put them back on exactly these exceptions.
    source = inspect.getsource(dynamodb_models)
    if (
        getattr(dynamodb_models, "copy", None) is not copy
        or "original_table_state[table_name] = copy.deepcopy(" not in source
        or "except (MultipleTransactionsException, MockValidationException):" not in source
        or "raise TransactionCanceledException(errors)" not in source
    ):
        return _skipped("dynamodb transaction copies")
    transaction = _TransactionKeys()
    cancelled = (TransactionCanceledException, MultipleTransactionsException, MockValidationException)

    def keys_of(backend: Any, transact_items: list[dict[str, Any]]) -> dict[str, list[tuple[Any, Any]]] | None:
        touched: dict[str, list[tuple[Any, Any]]] = {}
        try:
            for entry in transact_items:
                op_type, op = next(iter(entry.items()))
                table = backend.tables.get(op.get("TableName"))
                if table is None:
                    continue
                key = op["Item"] if op_type == "Put" else op["Key"]
                hash_key = DynamoType(key[table.hash_key_attr])
                range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr is not None else None
                touched.setdefault(table.name, []).append((hash_key, range_key))
        except (KeyError, TypeError, AttributeError, StopIteration):
            return None
        return touched

    class _Copy:
        """Stands in for the ``copy`` module inside moto's DynamoDB backend: a table named by the transaction in
        flight on this thread is its own copy (what it may lose is kept aside); everything else is copied as
        before."""

        copy = staticmethod(copy.copy)

        @staticmethod
        def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
            touched, undos = transaction.touched, transaction.undos
            if touched is None or undos is None or not isinstance(value, Table) or value.name not in touched:
                return copy.deepcopy(value, memo)
            # moto copies a table once per item of the transaction that names it, all before the first write
            if value.name not in undos:
                undos[value.name] = _Undo(value, touched[value.name])
            return value

    transact = backend_cls.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        transaction.touched, transaction.undos = keys_of(self, transact_items), {}
        try:
            return transact(self, transact_items)
        except cancelled:
            for undo in transaction.undos.values():
                undo.restore()
            raise
        finally:
            transaction.touched = transaction.undos = None

    _replace(dynamodb_models, "copy", _Copy)
    _replace(backend_cls, "transact_write_items", transact_write_items)
    return True


class _Partition:
    """A table as a Query on its own keys sees it: ``all_items()`` is the queried hash key's items, in moto's order
    (by range key), instead of every item of the table, sorted; everything else is the table's."""

    def __init__(self, table: Any, hash_key: Any) -> None:
        self._table = table
        self._hash_key = hash_key

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def all_items(self) -> list[Any]:
        found = self._table.items.get(self._hash_key)
        if found is None:
            return []
        if not self._table.range_key_attr:
            return [found]
        return sorted(found.values(), key=lambda item: item.range_key)


def patch_dynamodb_query_partition() -> bool:
    """Read only the queried partition: moto's Query on a table's own keys listed and sorted every item of the table,
    then kept those of the hash key, so a Query cost O(n log n) in the table's size (a 20-item Query 0.9 ms in a
    20-item table, 3.5 ms once the table held 600 more). Index queries (which match on other attributes) are left
    as they are."""
    from moto.dynamodb.models.table import Table

    original: Any = getattr(Table, "query", None)
    params = list(inspect.signature(original).parameters) if original is not None else []
    if params[:9] != [
        "self",
        "hash_key",
        "range_comparison",
        "range_objs",
        "limit",
        "exclusive_start_key",
        "scan_index_forward",
        "projection_expressions",
        "index_name",
    ] or not hasattr(Table, "all_items"):
        return _skipped("dynamodb query partition")

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None:
            return original(self, hash_key, *args, **kwargs)
        return original(_Partition(self, hash_key), hash_key, *args, **kwargs)

    _replace(Table, "query", query)
    return True


_SET_TYPES = frozenset({"SS", "NS", "BS"})


def patch_dynamodb_item_copies() -> bool:
    """Copy items without ``copy.deepcopy``'s dispatch for each attribute value: moto deep-copies every item a Query
    or Scan answers with (and what a write returns), through its own ``__deepcopy__`` methods, but each node still
    goes through ``copy.deepcopy`` (memo, keep-alive, method lookup): ~250 us of a 20-item Query's ~1.2 ms in moto.
    The copy is the one moto's methods make: the type; lists and maps copied member by member, sets as new lists,
    scalars shared (they are immutable); a node met twice copied once (deepcopy's memo).
    tests/unit/localrun/test_motoserver.py compares both for every kind of attribute value."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

    if "__deepcopy__" not in vars(Item) or "__deepcopy__" not in vars(DynamoType):
        return _skipped("dynamodb item copies")
    new_object = object.__new__

    def copied(value: Any, memo: dict[int, Any]) -> Any:
        if not isinstance(value, DynamoType):
            return copy.deepcopy(value, memo)
        found = memo.get(id(value))
        if found is not None:
            return found
        result = new_object(type(value))
        memo[id(value)] = result
        kind = result.type = value.type
        inner = value.value
        if kind == "L":
            result.value = [copied(v, memo) for v in inner]
        elif kind == "M":
            result.value = {k: copied(v, memo) for k, v in inner.items()}
        elif kind in _SET_TYPES:
            result.value = list(inner)
        else:
            result.value = inner
        return result

    def item_copy(self: Any, memo: dict[int, Any]) -> Any:
        found = memo.get(id(self))
        if found is not None:
            return found
        result = new_object(type(self))
        memo[id(self)] = result
        result.hash_key = copied(self.hash_key, memo)
        result.range_key = copied(self.range_key, memo)
        # as moto's: the item passed LimitedSizeDict's size check when written, so the copy skips it
        attrs = dict.__new__(LimitedSizeDict)
        for key, value in self.attrs.items():
            dict.__setitem__(attrs, key, copied(value, memo))
        result.attrs = attrs
        return result

    _replace(Item, "__deepcopy__", item_copy)
    _replace(DynamoType, "__deepcopy__", copied)
    return True


def _attribute_value_json(serializer: Any, value: object) -> dict[str, Any] | None:
    """``value`` as moto's JSON serializer writes an ``AttributeValue``, or None where that serializer must decide."""
    if not isinstance(value, dict):
        return None
    out: dict[str, Any] = {}
    for name, member in value.items():
        if member is None:
            continue
        written = _attribute_member_json(serializer, name, member)
        if written is None:
            return None
        out[name] = written
    return out


def _attribute_member_json(serializer: Any, name: str, member: Any) -> object | None:
    if name in ("S", "N"):
        return str(member)
    if name in ("NULL", "BOOL"):
        return cast(object, member)
    if name == "B":
        return cast(str, serializer._base64(member))
    if name in ("SS", "NS"):
        return [str(m) for m in member]
    if name == "BS":
        return [serializer._base64(m) for m in member]
    if name == "M":
        return _attribute_values_json(serializer, member)
    if name == "L" and isinstance(member, list):
        items = [_attribute_value_json(serializer, v) for v in member]
        return None if any(v is None for v in items) else items
    return None  # not a member moto's model knows


def patch_dynamodb_attribute_values() -> bool:
    """Write DynamoDB attribute values straight into JSON answers, as moto's generic serializer would write them.

    moto 5.2 builds every answer by walking botocore's output shape, and for each attribute value it looks up all
    ten members of ``AttributeValue`` through its alias machinery: ~75% of a 20-item Query's ~4 ms in moto went
    there, while moto's items are already in the wire's shape. Here a value that is a dict of known members is
    written directly (strings as ``str``, binary base64-encoded by the serializer's own method, maps and lists
    recursively); anything else goes the generic way. An item (a map of attribute values: what a Query or a
    GetItem answers with) is written the same way in one loop, without the serializer's dispatch for each of its
    attributes (a 20-item Query's answer ~25 us less). tests/unit/localrun/test_motoserver.py compares the answers of
    both ways for every kind of attribute value.
    """
    from moto.core import serialize

    json_cls: Any = serialize.BaseJSONSerializer
    if (
        not hasattr(json_cls, "_serialize_type_structure")
        or not hasattr(json_cls, "_base64")
        or "_serialize_type_map" not in vars(json_cls)
    ):
        return _skipped("dynamodb attribute values")
    generic = json_cls._serialize_type_structure
    generic_map = json_cls._serialize_type_map

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        written = _attribute_value_json(self, value) if key and shape.name == "AttributeValue" else None
        if written is None:
            generic(self, serialized, value, shape, key)
        else:
            serialized[self.get_serialized_name(shape, key)] = written

    def serialize_map(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        # moto's JSON map: its entries under their own keys, each value as serialize_structure writes it
        item = _attribute_values_json(self, value) if shape.value.name == "AttributeValue" else None
        if item is None or "name" in shape.value.serialization:
            generic_map(self, serialized, value, shape, key)
        else:
            serialized[self.get_serialized_name(shape, key)] = item

    _replace(json_cls, "_serialize_type_structure", serialize_structure)
    _replace(json_cls, "_serialize_type_map", serialize_map)
    return True


def _attribute_values_json(serializer: Any, value: object) -> dict[str, Any] | None:
    """A map of attribute values (an item, or an ``M`` value) as moto's JSON serializer writes it, or None where it
    must decide."""
    if not isinstance(value, dict):
        return None
    written: dict[str, Any] = {}
    for name, member in value.items():
        member_json = _attribute_value_json(serializer, member)
        if member_json is None:
            return None
        written[name] = member_json
    return written


# Subscriptions' keys remembered with their certificates (cleared when full). moto's per-subscription key cache holds
# 128; a subscription whose key it evicted gets a new key, and its next message a new certificate from moto's code.
_MAX_SIGNING_KEYS = 1024


def patch_sns_http_delivery() -> bool:
    """Deliver SNS notifications to HTTP(S) subscriptions off the publisher's thread, as SNS delivers them: after
    Publish has answered.

    moto posts each one before Publish answers, with no timeout: an endpoint that answered slowly (or never) held the
    publisher's call, and on the endpoint's loop (``localrun.httploop``) every other client's with it. A failed
    delivery is a line on stderr (SNS would retry it, then drop it)."""
    from moto.sns import models as sns_models

    subscription_cls: Any = sns_models.Subscription
    original: Any = vars(subscription_cls).get("publish")
    if original is None or list(inspect.signature(original).parameters)[:3] != ["self", "message", "message_id"]:
        return _skipped("sns http delivery")

    def deliver(subscription: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            original(subscription, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the endpoint's failure; the publisher has its answer
            sys.stderr.write(f"localrun: SNS delivery to {subscription.endpoint} failed: {exc!r}\n")

    def publish(self: Any, *args: Any, **kwargs: Any) -> None:
        if self.protocol in ("http", "https"):
            threading.Thread(target=deliver, args=(self, args, kwargs), name="sns-http-delivery", daemon=True).start()
        else:
            original(self, *args, **kwargs)

    _replace(subscription_cls, "publish", publish)
    return True


def patch_sns_signing_certificate() -> bool:
    """Sign each SNS notification with one certificate per subscription, not a new certificate per message.

    moto builds and signs an X.509 certificate for every message it delivers to a subscription (an RSA signature on
    top of the message's own), and keeps every certificate's PEM in the backend, under a new name per message: ~45%
    of a Publish to an SQS subscription in moto, and memory that grows with every message for as long as the runner
    runs. Here a subscription's first message goes through moto's own code, which makes the certificate and
    publishes its PEM; later ones are signed with the same key and point at that certificate, as AWS's point at
    one certificate for many messages. Each message is still signed: the notification is moto's, field by field.
    tests/unit/localrun/test_motoserver.py compares a message from each path, checks both signatures against the
    published certificate, and counts the certificates kept."""
    from moto.core.utils import iso_8601_datetime_with_milliseconds
    from moto.sns import models as sns_models

    subscription_cls: Any = sns_models.Subscription
    original: Any = vars(subscription_cls).get("get_post_data")
    expected = ["self", "message", "message_id", "subject", "message_attributes"]
    if (
        original is None
        or list(inspect.signature(original).parameters) != expected
        or "private_key" not in vars(subscription_cls)
    ):
        return _skipped("sns signing certificate")
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

    certificate_urls: dict[int, tuple[RSAPrivateKey, str]] = {}  # id(a subscription's key) -> (it, its cert's URL)

    def get_post_data(
        self: Any, message: str, message_id: str, subject: str | None, message_attributes: Any = None
    ) -> dict[str, Any]:
        key: RSAPrivateKey = self.private_key()
        known = certificate_urls.get(id(key))
        if known is None or known[0] is not key:
            data: dict[str, Any] = original(self, message, message_id, subject, message_attributes)
            if len(certificate_urls) >= _MAX_SIGNING_KEYS:  # moto's key cache evicted keys: forget theirs too
                certificate_urls.clear()
            certificate_urls[id(key)] = (key, str(data["SigningCertURL"]))
            return data
        timestamp = iso_8601_datetime_with_milliseconds()
        signed = (
            f"Message\n{message}\nMessageId\n{message_id}\nTimestamp\n{timestamp}\nTopicArn\n{self.topic.arn}\n"
            "Type\nNotification\n"
        )
        signature = key.sign(signed.encode("UTF-8"), padding.PKCS1v15(), hashes.SHA256())
        data = {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": self.topic.arn,
            "Message": message,
            "Timestamp": timestamp,
            "SignatureVersion": "2",
            "Signature": base64.b64encode(signature).decode("utf-8"),
            "SigningCertURL": known[1],
            "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
            f"arn:aws:sns:us-east-1:{self.account_id}:{self.topic.name}:2bcfbf39-05c3-41de-beaa-fcfcc21c8f55",
        }
        if subject:
            data["Subject"] = subject
        if message_attributes:
            data["MessageAttributes"] = message_attributes
        return data

    _replace(subscription_cls, "get_post_data", get_post_data)
    return True


_MAX_CONDITIONS = 1024  # parsed condition expressions remembered (cleared when full)


def patch_dynamodb_condition_cache() -> bool:
    """Parse each DynamoDB condition or filter expression once: moto parses a conditional write's
    ``ConditionExpression`` twice per request (to validate it, then to apply it) with a pure-Python lexer, ~48% of a
    conditional PutItem in moto; the checkout's claim and Powertools' idempotency are such writes. The tree moto
    builds depends only on the expression, its names and its values, and evaluating it changes nothing in it, so it
    is remembered by those three (as their ``repr``) with the names and values it used, which moto's callers read
    and extend (each gets lists of its own). Expressions that fail to parse are parsed again each time: the error is
    moto's. tests/unit/localrun/test_motoserver.py compares conditional writes, filters and their errors with and
    without the patch."""
    from moto.dynamodb.comparisons import ConditionExpressionParser

    original: Any = vars(ConditionExpressionParser).get("parse")
    inputs = {"condition_expression", "expression_attribute_names", "expression_attribute_values"}
    if original is None or not inputs <= set(inspect.signature(ConditionExpressionParser.__init__).parameters):
        return _skipped("dynamodb condition cache")
    parsed: dict[tuple[object, str, str], tuple[Any, list[str], list[str]]] = {}

    def parse(self: Any) -> Any:
        key = (self.condition_expression, repr(self.expression_attribute_names), repr(self.expression_attribute_values))
        hit = parsed.get(key)
        if hit is None:
            tree = original(self)
            if len(parsed) >= _MAX_CONDITIONS:
                parsed.clear()
            parsed[key] = (tree, list(self.expr_attr_names_found), list(self.expr_attr_values_found))
            return tree
        tree, names, values = hit
        self.expr_attr_names_found = list(names)
        self.expr_attr_values_found = list(values)
        return tree

    _replace(ConditionExpressionParser, "parse", parse)
    return True


_MAX_MEMBER_KEYS = 20_000  # (shape, member) pairs remembered; moto's service models are finite, this is a backstop


def _json_writes_as_expected(serialize: Any) -> bool:
    """Whether moto's JSON serializer still writes members, strings, structures and lists with the methods
    :func:`patch_serializer_dict_members` does the work of."""
    base, json_base, json_cls = serialize.ResponseSerializer, serialize.BaseJSONSerializer, serialize.JSONSerializer
    return (
        all(name in vars(base) for name in ("get_value", "_serialize_structure_member", "_serialize"))
        # a string member of a JSON answer goes _serialize -> BaseJSONSerializer._serialize_type_string ->
        # _default_serialize -> get_serialized_name: the write of a str assumes each is still the one it was
        and json_cls._serialize_type_string is vars(json_base).get("_serialize_type_string")
        and all(getattr(json_cls, name) is vars(base).get(name) for name in _JSON_STRING_PATH)
        # a structure and a list of structures are written as these write them
        and "_serialize_type_structure" in vars(base)
        and json_cls._serialize_type_list is vars(json_base).get("_serialize_type_list")
    )


def _dict_items(shape: Any, value: list[Any]) -> bool:
    """Whether ``value``, a list for ``shape``, is one of dicts that patch_serializer_dict_members writes itself."""
    item = shape.member
    return (
        shape.type_name == "list"
        and _written_as_dict(item)
        and "name" not in item.serialization  # else moto's JSON list keeps the item unwritten
        and all(type(entry) is dict for entry in value)
    )


def _written_as_dict(shape: Any) -> bool:
    return shape.type_name == "structure" and not shape.is_document_type and shape.name != "AttributeValue"


def _structure_writer(
    json_cls: Any, picker_cls: Any, get_value: Callable[[Any, Any, str, Any], Any], structure: Callable[..., None]
) -> Callable[..., None]:
    """moto's ``_serialize_type_structure`` for the JSON serializer ``json_cls`` that writes a result dict itself
    (with ``get_value``, patch_serializer_dict_members' reader of a member), anything else with ``structure``."""

    def fill(self: Any, wrapper: dict[str, Any], value: dict[str, Any], shape: Any) -> None:
        """What moto's ``_serialize_type_structure`` writes of a dict ``value`` into ``wrapper``."""
        for member_key, member_shape in shape.members.items():
            member_shape.parent = shape
            member_value = get_value(self, value, member_key, member_shape)
            if member_value is None:
                continue
            if type(member_value) is str and member_shape.type_name == "string":  # as serialize_structure_member
                wrapper[member_shape.serialization.get("name", member_key)] = member_value
            elif type(member_value) is list and _dict_items(member_shape, member_value):
                # as BaseJSONSerializer._serialize_type_list, each item through serialize_structure below
                item_shape, path = member_shape.member, self.path
                path.append(member_key)
                items = []
                for item in member_value:
                    path.append(item_shape.name)
                    written: dict[str, Any] = self.MAP_TYPE()
                    fill(self, written, item, item_shape)
                    items.append(written)
                    path.pop()
                path.pop()
                wrapper[member_shape.serialization.get("name", member_key)] = items
            else:
                self._serialize(wrapper, member_value, member_shape, member_key)

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        picker = self._value_picker
        if (
            type(self) is not json_cls
            or type(value) is not dict
            or not _written_as_dict(shape)
            or type(picker) is not picker_cls
            or picker.response_transformers
        ):
            structure(self, serialized, value, shape, key)
            return
        wrapper = self.MAP_TYPE() if key else serialized
        fill(self, wrapper, value, shape)
        if key:
            self._default_serialize(serialized, wrapper, shape, key)

    return serialize_structure


def patch_serializer_dict_members() -> bool:
    """Read a member of a result dict by the keys moto's value picker would try, remembered per member shape.

    moto 5.2 serializes every answer member by member; for each member of each result it builds a picker context
    and tries its aliases (the shape's name, the key, prefixes, the model's name, each also in snake case), six
    alias providers instantiated per member: ~46% of a SendMessageBatch's time in moto went there. For a plain
    ``dict`` the aliases depend only on the member's shape, its parent and its key (the providers that look at the
    object find no ``Meta`` on a dict and the class name ``dict``), so they are computed once by moto's own picker
    and the first one the dict holds is read, as moto's picker reads it. Objects other than dicts, pickers with
    response transformers and dotted aliases go the generic way. A member of a JSON answer that is a ``str`` of a
    string shape is then written as moto's serializer writes it, without its dispatch by type name (~40 us of a
    SendMessageBatch's ten entries). A result dict's structure is written member by member in one loop, and a list of
    such dicts (a batch's entries, a receive's messages) item by item, as moto's structure and list methods write
    them, without going through ``_serialize``'s dispatch for each (in-process, a SendMessageBatch's answer 53 ->
    43 us). tests/unit/localrun/test_motohttp.py replays calls to every service the runner uses with and without
    this patch and compares the answers."""
    from moto.core import serialize

    picker_cls: Any = getattr(serialize, "XFormedAttributePicker", None)
    context_cls: Any = getattr(serialize, "AttributePickerContext", None)
    json_cls: Any = getattr(serialize, "JSONSerializer", None)
    if picker_cls is None or context_cls is None or json_cls is None or not _json_writes_as_expected(serialize):
        return _skipped("serializer dict members")
    generic = serialize.ResponseSerializer.get_value
    remembered: dict[tuple[int, str], tuple[object, object, tuple[str, ...] | None]] = {}

    def get_value(self: Any, value: Any, key: str, shape: Any) -> Any:
        picker = self._value_picker
        if type(value) is not dict or type(picker) is not picker_cls or picker.response_transformers:
            return generic(self, value, key, shape)
        parent = getattr(shape, "parent", None)
        entry = remembered.get((id(shape), key))
        if entry is None or entry[0] is not shape or entry[1] is not parent:
            found: tuple[str, ...] = tuple(picker.get_possible_keys(context_cls(obj=value, key=key, shape=shape)))
            if len(remembered) >= _MAX_MEMBER_KEYS:
                remembered.clear()
            entry = remembered[(id(shape), key)] = (shape, parent, None if any("." in a for a in found) else found)
        aliases = entry[2]
        if aliases is None:  # a dotted alias is a path into the object: moto's picker walks it
            return generic(self, value, key, shape)
        for alias in aliases:
            if alias in value:
                return value[alias]
        return None

    def serialize_structure_member(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        member_value = self.get_value(value, key, shape)
        if member_value is None:
            return
        if type(member_value) is str and type(self) is json_cls and shape.type_name == "string":
            # what moto's _serialize -> _serialize_type_string -> _default_serialize write for a str, without the
            # dispatch by type name and the path kept for pickers (none is asked below a string)
            serialized[shape.serialization.get("name", key)] = member_value
            return
        self._serialize(serialized, member_value, shape, key)

    _replace(serialize.ResponseSerializer, "get_value", get_value)
    _replace(json_cls, "_serialize_structure_member", serialize_structure_member)
    structure = json_cls._serialize_type_structure  # moto's, or patch_dynamodb_attribute_values' for its values
    _replace(json_cls, "_serialize_type_structure", _structure_writer(json_cls, picker_cls, get_value, structure))
    return True


def patch_param_lookup() -> bool:
    """Read a parsed request's parameter by two dict lookups, not moto's path helper over a new ``ChainMap``.

    For a service whose parameters moto parses (SQS, SNS, DynamoDB, EventBridge, ...), ``BaseResponse._get_param``
    builds a ``ChainMap`` of the parameters and the URL's and reads it through ``get_value``, which raises and
    catches a ``KeyError`` for every absent parameter: most of them (an SNS Publish asks for eight, a plain one has
    two; a receive asks for eight). Here a plain name is looked up in the parameters, then in the URL's, and the
    default is given when neither has it, as moto's lookup answers; a dotted name (a path into the parameters), a
    name that is no ``str`` and a service without parsed parameters go moto's way. tests/unit/localrun/
    test_motoserver.py compares both lookups, and tests/unit/localrun/test_motohttp.py replays calls with and
    without this patch and compares the answers."""
    import moto.core.responses as responses

    base: Any = responses.BaseResponse
    original = vars(base).get("_get_param")
    source = "".join(inspect.getsource(original).split()) if original is not None else ""
    if "params=ChainMap(self.params,self.uri_match)" not in source or "get_value(params,param_name," not in source:
        return _skipped("param lookup")

    def _get_param(self: Any, param_name: Any, if_none: Any = None) -> Any:
        if not self.automated_parameter_parsing or type(param_name) is not str or "." in param_name:
            return original(self, param_name, if_none)
        for found in (self.params, self.uri_match):  # ChainMap's order
            if param_name in found:
                return found[param_name]
        return if_none

    _replace(base, "_get_param", _get_param)
    return True


def patch_response_request_id() -> bool:
    """Look for the ``<RequestId>`` to replace in an answer's body before running moto's regular expression over it.

    moto gives every answer a request id and writes it into the body with a lookbehind regular expression run over
    the whole body, JSON bodies included, which never hold one: ~2 us for a small answer, ~10 us for a 20-item
    Query's. A ``str`` body without ``<RequestId>`` now skips the expression (which could not match it); anything
    else goes through moto's own method. tests/unit/localrun/test_motoserver.py compares both on bodies with and
    without a request id."""
    import moto.core.responses as responses
    from moto.utilities.aws_headers import gen_amzn_requestid_long

    base: Any = responses.BaseResponse
    original = vars(base).get("_enrich_response")
    source = "".join(inspect.getsource(original.__func__).split()) if isinstance(original, staticmethod) else ""
    if (
        "request_id=gen_amzn_requestid_long(headers)" not in source
        or "(?<=<RequestId>).*(?=<\\/RequestId>)" not in source
        or getattr(responses, "gen_amzn_requestid_long", None) is not gen_amzn_requestid_long
    ):
        return _skipped("response request id")
    enrich = original.__func__

    def enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        if type(body) is not str or "<RequestId>" in body:
            return cast(tuple[dict[str, str], Any], enrich(headers, body))
        if "status" in headers:  # the rest of moto's method, as it does it
            headers["status"] = str(headers["status"])
        gen_amzn_requestid_long(headers)
        return headers, body

    _replace(base, "_enrich_response", staticmethod(enrich_response))
    return True


def patch_query_xml_body() -> bool:
    """Write a query-protocol answer's XML (SNS's answers, and errors of such services) without xmltodict.

    moto builds the answer as a nested dict and has ``xmltodict.unparse`` write it: a SAX generator driven element
    by element, each name validated on the way, ~20% of an SNS Publish's time in moto. ``localrun.xmltext.unparse``
    writes the same text for the values moto puts there and leaves anything else (and pretty printing) to
    xmltodict. tests/unit/localrun/test_xmltext.py compares both on every kind of value, and
    tests/unit/localrun/test_motohttp.py replays calls to every service the runner uses with and without this
    patch and compares the answers."""
    from moto.core import serialize

    from localrun import xmltext

    base: Any = serialize.BaseXMLSerializer
    original = vars(base).get("_serialize_body")
    # moto's method must still be exactly this call, for the text below to be the one it would write
    if original is None or "full_document=False,short_empty_elements=True," not in "".join(
        inspect.getsource(original).split()
    ):
        return _skipped("query xml body")

    def _serialize_body(self: Any, body: Any) -> str:
        text = None if self.pretty_print else xmltext.unparse(body)
        return original(self, body) if text is None else text

    _replace(base, "_serialize_body", _serialize_body)
    return True


def patch_json_request_parse() -> bool:
    """Read a JSON-protocol request's parameters (DynamoDB, SQS, EventBridge, ...) by converters built once per shape.

    moto's ``JSONParser`` walks botocore's input shape for every request, looking up a handler by type name for each
    value and going through every member of every structure, present or not: ~60% of the request setup of a
    SendMessageBatch or a TransactWriteItems. ``localrun.jsonshapes`` does what those handlers do, worked out once
    per shape. It applies only while moto's ``JSONParser`` has exactly the handlers it replicates (none overridden,
    none added). tests/unit/localrun/test_jsonshapes.py compares both on a request of every shape of every
    operation of the JSON services the runner uses, and tests/unit/localrun/test_motohttp.py replays calls with and
    without this patch and compares the answers."""
    from moto.core import parse as moto_parse

    from localrun import jsonshapes

    parser_cls: Any = moto_parse.JSONParser
    owners: dict[str, Any] = {
        "_parse_shape": moto_parse.RequestParser,
        "_parse_list": moto_parse.RequestParser,
        "_parse_map": moto_parse.RequestParser,
        "_default_handle": moto_parse.RequestParser,
        "_parse_body_as_json": moto_parse.BaseJSONParser,
        **dict.fromkeys(_JSON_HANDLERS, moto_parse.BaseJSONParser),
        "_parse_json_body": parser_cls,
    }
    handlers = {name for name in dir(parser_cls) if name.startswith("_parse_")} | {"_default_handle"}
    if handlers != set(owners) or any(
        getattr(parser_cls, name) is not vars(owner).get(name) for name, owner in owners.items()
    ):
        return _skipped("json request parse")
    original = parser_cls._parse_json_body

    def parse_json_body(self: Any, raw_body: Any, shape: Any) -> Any:
        if type(self) is not parser_cls:  # a subclass may handle shapes its own way
            return original(self, raw_body, shape)
        return jsonshapes.parse(self, shape, self._parse_body_as_json(raw_body))

    _replace(parser_cls, "_parse_json_body", parse_json_body)
    return True


# moto's BaseJSONParser handlers that localrun.jsonshapes replicates.
_JSON_HANDLERS = (
    "_parse_structure",
    "_parse_blob",
    "_parse_timestamp",
    "_parse_float",
    "_parse_double",
    "_parse_integer",
    "_parse_byte",
    "_parse_short",
    "_parse_long",
)


# What a JSON answer's string member goes through in moto, besides _serialize_type_string.
_JSON_STRING_PATH = ("_serialize", "_serialize_structure_member", "_default_serialize", "get_serialized_name")


_RECEIPT_HANDLE_LENGTH = 185


_IMMUTABLE = (str, bytes, int, float, bool, type(None))


def _copied(item: Any, memo: dict[int, Any]) -> Any:
    """``copy.deepcopy(item, memo)``, without its dispatch for an immutable value or a list or dict of immutable values
    (a message's empty attribute maps, its old receipt handles): shared, or copied flat and remembered in ``memo``."""
    kind = type(item)
    if kind in _IMMUTABLE:
        return item
    known = memo.get(id(item))
    if known is not None:
        return known
    if kind is list and all(type(entry) in _IMMUTABLE for entry in item):
        flat: Any = list(item)
    elif kind is dict and all(type(k) in _IMMUTABLE and type(v) in _IMMUTABLE for k, v in item.items()):
        flat = dict(item)
    else:
        return copy.deepcopy(item, memo)
    memo[id(item)] = flat
    return flat


def patch_sqs_received_copies() -> bool:
    """Copy a received message as ``copy.deepcopy`` would, without its dispatch for each of its fifteen attributes.

    moto's receive deep-copies every message it hands out (so that filtering the copy's attributes leaves the queue's
    message as it was) and, once per receive, the set of message groups in flight: ~18 us of a ~225 us receive of one
    message in moto, paid again for each message of a batch. Here a ``Message`` is copied attribute by attribute (the
    immutable ones shared, as deepcopy shares them; lists and dicts of immutable values copied flat, the others
    deep-copied, all with one memo, as deepcopy does), and a set of strings is copied as a set. Anything else is
    ``copy.deepcopy``'s."""
    import moto.sqs.models as sqs_models

    message_cls: Any = sqs_models.Message
    source = inspect.getsource(sqs_models)  # moto's receive_message (another patch wraps it)
    hooks = ("__deepcopy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__", "__slots__")
    if (
        getattr(sqs_models, "deepcopy", None) is not copy.deepcopy
        or "message_copy = deepcopy(message)" not in source
        or "deepcopy(queue.pending_message_groups)" not in source
        or any(hook in vars(message_cls) for hook in hooks)
    ):
        return _skipped("sqs received copies")

    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        kind = type(value)
        if kind is message_cls:
            memo = {} if memo is None else memo
            copied = object.__new__(kind)
            state = {name: _copied(item, memo) for name, item in vars(value).items()}
            copied.__dict__.update(state)
            return copied
        if kind is set and all(type(item) is str for item in value):
            return set(value)
        return copy.deepcopy(value, memo)

    _replace(sqs_models, "deepcopy", deepcopy)
    return True


class _Alphabet:
    """Random strings over ``letters``, uniformly, from a generator's bytes: each byte below the largest multiple of
    the alphabet's size picks ``letters[byte % size]``, and the others are drawn again (so no letter is likelier)."""

    def __init__(self, letters: str) -> None:
        size = len(letters)
        kept = size * (256 // size)
        self._letter_of_byte = bytes(ord(letters[b % size]) if b < kept else 0 for b in range(256))
        self._rejected = bytes(range(kept, 256))

    def draw(self, source: random.Random, length: int) -> str:
        drawn = b""
        while len(drawn) < length:  # at most 19% of bytes are rejected (52 letters): one round, nearly always
            drawn += source.randbytes(length + length // 4 + 8).translate(self._letter_of_byte, self._rejected)
        return drawn[:length].decode("ascii")


def patch_random_strings() -> bool:
    """Draw moto's random strings (request ids, SQS receipt handles) from random bytes, not a character at a time.

    moto builds every request id (52 characters) and every SQS receipt handle (185) with one ``random.choice`` per
    character: ~10 and ~46 us here, on every call and on every message received (a receive of ten messages spent
    ~0.5 ms on its handles). :class:`_Alphabet` draws as many characters from the same alphabet, uniformly, from
    moto's own generator (``mock_random``), so a seed still gives the same strings run after run: ~0.5 and ~0.9 us
    (``random.choices``, the previous version of this patch: ~3 and ~9 us)."""
    import string

    import moto.sqs.models as sqs_models
    import moto.sqs.utils as sqs_utils
    from moto.moto_api._internal import mock_random
    from moto.moto_api._internal.moto_random import MotoRandom

    original = vars(MotoRandom).get("get_random_string")
    receipt_handle = getattr(sqs_models, "generate_receipt_handle", None)
    source = inspect.getsource(receipt_handle) if callable(receipt_handle) else ""
    if (
        original is None
        or list(inspect.signature(original).parameters) != ["self", "length", "include_digits", "lower_case"]
        or receipt_handle is not getattr(sqs_utils, "generate_receipt_handle", None)
        or f"length = {_RECEIPT_HANDLE_LENGTH}" not in source
        or "ascii_lowercase" not in source
    ):
        return _skipped("random strings")
    with_digits = _Alphabet(string.ascii_letters + string.digits)
    letters = _Alphabet(string.ascii_letters)
    lowercase_letters = _Alphabet(string.ascii_lowercase)

    def get_random_string(self: Any, length: int = 20, include_digits: bool = True, lower_case: bool = False) -> str:
        drawn = (with_digits if include_digits else letters).draw(self, length)
        return drawn.lower() if lower_case else drawn

    def generate_receipt_handle() -> str:
        return lowercase_letters.draw(mock_random, _RECEIPT_HANDLE_LENGTH)

    _replace(MotoRandom, "get_random_string", get_random_string)
    _replace(sqs_models, "generate_receipt_handle", generate_receipt_handle)
    return True


def _skipped(what: str) -> bool:
    sys.stderr.write(f"localrun.motoserver: moto changed, patch '{what}' not applied\n")
    return False


_patching = threading.Lock()
_users: list[object] = []  # who applied the patches and has not reverted them yet


def apply_patches(user: object | None = None) -> None:
    """Apply every patch, once however many users ask (wrapping moto's methods twice would deadlock on their locks).
    ``user``: revert them with :func:`revert_patches` when it is done, and the last user is."""
    with _patching:
        if not _users:
            _apply_each()
        _users.append(user if user is not None else object())


def revert_patches(user: object) -> None:
    """``user`` is done with moto: when no other user is left, moto is as it was (say, for tests that use moto's
    in-process mock after a runner stopped in the same process)."""
    with _patching:
        _users.remove(user)
        if _users:
            return
        while _replaced:
            owner, name, had = _replaced.pop()
            if had is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, had)


def _apply_each() -> None:
    patch_event_envelope()
    patch_event_path_cache()
    patch_sqs_scans()
    patch_sqs_locking()
    patch_sqs_received_copies()
    patch_backend_lookup()
    patch_action_lookup()
    patch_param_lookup()
    patch_response_request_id()
    patch_s3_event_sequencer()
    patch_dynamodb_transaction_copies()  # the snapshot is taken inside moto's method, so under the write lock
    patch_dynamodb_atomic_writes()
    patch_dynamodb_attribute_values()
    patch_dynamodb_query_partition()
    patch_dynamodb_item_copies()
    patch_serializer_dict_members()
    patch_query_xml_body()
    patch_json_request_parse()
    patch_dynamodb_condition_cache()
    patch_sns_signing_certificate()
    patch_sns_http_delivery()
    patch_random_strings()


class MotoProcess:
    """``python -m localrun.motoserver`` as a child process, answering on ``http://host:port``."""

    def __init__(self, port: int, account_id: str, host: str = "127.0.0.1") -> None:
        self.host, self.port = host, port
        cmd = [sys.executable, "-m", "localrun.motoserver", "--host", host, "--port", str(port)]
        # A session of its own: Ctrl-C (or a signal to the parent's process group) must not take moto away while the
        # parent is still shutting down functions that call it. The parent stops it last; if the parent dies
        # without doing so, moto notices it was re-parented and exits (_exit_with_parent).
        self.proc = subprocess.Popen(
            [*cmd, "--account-id", account_id], stdin=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._answers():
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {self.proc.returncode} before listening on :{port}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"moto server did not listen on :{port} within {START_TIMEOUT_S:.0f} s")
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _exit_with_parent(parent: int) -> None:
    """A runner killed with SIGKILL cannot stop us: notice that we were re-parented and go."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localrun.motoserver", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--account-id", default="000000000000", help="every call lands in this account")
    args = parser.parse_args(argv)

    from localrun.motohttp import InAccount, moto_app, moto_http_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    apply_patches()
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    server = moto_http_server(args.host, args.port, InAccount(moto_app(), args.account_id))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
    done.wait()
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

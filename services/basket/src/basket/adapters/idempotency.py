"""Idempotency-Key support with Powertools idempotency over a DynamoDB table (PK ``id``, TTL ``expiration``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
from aws_lambda_powertools.utilities.idempotency.base import IdempotencyHandler
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from lambda_common.errors import ConflictError, DependencyError, InvalidInputError
from pydantic import BaseModel

from basket.models.checkout import CheckoutAccepted

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

#: Stripe's window: a retry within a day gets the first answer again.
REMEMBER_SECONDS = 24 * 60 * 60
#: An in-progress record whose request died frees its key after this long (the API's 29 s timeout, rounded up).
IN_PROGRESS_SECONDS = 30


class _Budget:
    """Stands in for the Lambda context Powertools reads the remaining time from, so a crashed request's
    in-progress record expires after IN_PROGRESS_SECONDS, whether or not a context is at hand."""

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return IN_PROGRESS_SECONDS * 1000


class PowertoolsIdempotency:
    def __init__(self, dynamodb: DynamoDBClient, table_name: str) -> None:
        # One store and config per process: the store registers a hook on the client when it is made, and holds no
        # per-request state (the payload travels with each call; no local cache).
        self._config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="request",
            expires_after_seconds=REMEMBER_SECONDS,
            lambda_context=_Budget(),  # type: ignore[arg-type]
        )
        self._store = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=dynamodb)

    def once(self, *, key: str, request: BaseModel, action: Callable[[], CheckoutAccepted]) -> CheckoutAccepted:
        handler = IdempotencyHandler(
            function=action,
            function_payload={"key": key, "request": request.model_dump(mode="json")},
            config=self._config,
            persistence_store=self._store,
            output_serializer=PydanticSerializer(CheckoutAccepted),
            key_prefix="checkout",
            function_args=(),
            function_kwargs={},
        )
        try:
            result = handler.handle()
        except IdempotencyAlreadyInProgressError as exc:
            raise ConflictError("a request with this Idempotency-Key is still in progress; retry shortly") from exc
        except IdempotencyValidationError as exc:
            raise InvalidInputError("this Idempotency-Key was already used with a different request") from exc
        except IdempotencyPersistenceLayerError as exc:
            raise DependencyError(f"idempotency table failed: {exc}") from exc
        return CheckoutAccepted.model_validate(result)  # the model itself, or the stored answer read back

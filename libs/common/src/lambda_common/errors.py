"""Domain error hierarchy. Handlers map these to HTTP statuses or to batch failures; domain code raises them."""


class DomainError(Exception):
    """Base class of every error that domain code raises on purpose. Its message is safe to show a client."""


class NotFoundError(DomainError):
    """The thing asked for does not exist."""


class ConflictError(DomainError):
    """The request clashes with the current state (e.g. a duplicate)."""


class InvalidInputError(DomainError):
    """Input that passed schema validation but breaks a business rule."""


class DependencyError(Exception):
    """A downstream dependency (DynamoDB, SQS, EventBridge...) failed. Not shown to clients in detail."""


class UnauthenticatedError(DomainError):
    """The request names no signed-in user (401)."""


class ForbiddenError(DomainError):
    """The signed-in user may not do this (403), e.g. touch another user's basket."""

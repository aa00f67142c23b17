"""One construct per pattern; stacks compose them."""

from infra.constructs.alarms import AlarmTopic, DeadLetterQueue
from infra.constructs.api_users import ApiUsers
from infra.constructs.container_function import ContainerFunction
from infra.constructs.event_rules import EventRuleToFunction, EventRuleToQueue
from infra.constructs.eventbridge_service import EventBridgeService
from infra.constructs.queue_consumer import QueueConsumer
from infra.constructs.queues import encrypted_queue
from infra.constructs.topic_to_function import TopicToFunction

__all__ = [
    "AlarmTopic",
    "ApiUsers",
    "ContainerFunction",
    "DeadLetterQueue",
    "EventBridgeService",
    "EventRuleToFunction",
    "EventRuleToQueue",
    "QueueConsumer",
    "TopicToFunction",
    "encrypted_queue",
]

"""EcommerceStack (seed 004): one REST API over product, basket and ordering; event-driven checkout."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_logs as logs
from cdk_nag import NagSuppressions
from constructs import Construct

from infra import config
from infra.constructs import (
    AlarmTopic,
    ApiUsers,
    ContainerFunction,
    EventRuleToFunction,
    EventRuleToQueue,
    QueueConsumer,
)

CHECKOUT_SOURCE = "com.swn.basket.checkoutbasket"
CHECKOUT_DETAIL_TYPE = "CheckoutBasket"
PRICE_CHANGED_SOURCE = "com.swn.product"
PRICE_CHANGED_DETAIL_TYPE = "ProductPriceChanged"
API_STAGE = "prod"


class EcommerceStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        removal = RemovalPolicy.RETAIN if config.retain_data(self) else RemovalPolicy.DESTROY
        alarms = AlarmTopic(self, "Alarms")

        # --- data -------------------------------------------------------------------------------------------------
        self.product_table = _table(self, "ProductTable", "id", removal=removal)
        self.product_table.add_global_secondary_index(
            index_name="category-index",
            partition_key=dynamodb.Attribute(name="category", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.basket_table = _table(self, "BasketTable", "userName", removal=removal)
        # orderKey = "<orderDate>#<orderId>": date queries are key conditions, and two orders never share a key.
        self.order_table = _table(self, "OrderTable", "userName", sort_key="orderKey", removal=removal)
        # Checkout answers by Idempotency-Key (Powertools idempotency); records expire through TTL after 24 h.
        self.idempotency_table = _table(self, "IdempotencyTable", "id", removal=removal, expiry="expiration")
        # No bus name: generated, so two copies of the stack can share an account.
        self.bus = events.EventBus(self, "EventBus")

        # --- functions ---------------------------------------------------------------------------------------------
        basket_env = {
            "BASKET_TABLE_NAME": self.basket_table.table_name,
            "PRODUCT_TABLE_NAME": self.product_table.table_name,
        }
        self.product_api = ContainerFunction(
            self,
            "ProductApi",
            service="product",
            handler="product.handlers.api.handler",
            environment={
                "PRODUCT_TABLE_NAME": self.product_table.table_name,
                "EVENT_BUS_NAME": self.bus.event_bus_name,
            },
            timeout=Duration.seconds(29),  # API Gateway's integration timeout
        )
        self.product_table.grant_read_write_data(self.product_api.role)
        self.bus.grant_put_events_to(self.product_api.role)

        self.basket_api = ContainerFunction(
            self,
            "BasketApi",
            service="basket",
            handler="basket.handlers.api.handler",
            environment={
                **basket_env,
                "EVENT_BUS_NAME": self.bus.event_bus_name,
                "IDEMPOTENCY_TABLE_NAME": self.idempotency_table.table_name,
            },
            timeout=Duration.seconds(29),
        )
        self.basket_table.grant_read_write_data(self.basket_api.role)
        self.idempotency_table.grant_read_write_data(self.basket_api.role)
        self.product_table.grant_read_data(self.basket_api.role)  # prices come from the catalogue, not the client
        self.bus.grant_put_events_to(self.basket_api.role)

        self.basket_price_changed = ContainerFunction(
            self,
            "BasketPriceChanged",
            service="basket",
            handler="basket.handlers.consume_price_changed.handler",
            environment=basket_env,
            timeout=Duration.seconds(60),  # scans baskets holding the product and updates each
        )
        self.basket_table.grant_read_write_data(self.basket_price_changed.role)
        self.product_table.grant_read_data(self.basket_price_changed.role)

        self.ordering_api = ContainerFunction(
            self,
            "OrderingApi",
            service="ordering",
            handler="ordering.handlers.api.handler",
            environment={"ORDER_TABLE_NAME": self.order_table.table_name},
            timeout=Duration.seconds(29),
        )
        self.order_table.grant_read_data(self.ordering_api.role)

        self.ordering_checkout = ContainerFunction(
            self,
            "OrderingCheckout",
            service="ordering",
            handler="ordering.handlers.consume_checkout.handler",
            environment={"ORDER_TABLE_NAME": self.order_table.table_name},
            timeout=Duration.seconds(30),
        )
        # The consumer writes an order with a conditional PutItem and reads one back on a duplicate: nothing else.
        self.order_table.grant(self.ordering_checkout.role, "dynamodb:PutItem", "dynamodb:GetItem")

        for container in (self.product_api, self.basket_api, self.basket_price_changed):
            NagSuppressions.add_resource_suppressions(
                container.role,
                [
                    {
                        "id": "AwsSolutions-IAM5",
                        "reason": "Table grants cover the product table's indexes (<table>/index/*), so the "
                        "category-index GSI can be queried.",
                        "appliesTo": [{"regex": "/^Resource::<ProductTable[0-9A-F]+\\.Arn>\\/index\\/\\*$/"}],
                    }
                ],
                apply_to_children=True,
            )

        # --- events ------------------------------------------------------------------------------------------------
        # CheckoutBasket -> order queue -> ordering (the seed had no DLQ and lost orders silently).
        self.order_queue = QueueConsumer(
            self,
            "OrderQueue",
            consumer=self.ordering_checkout,
            alarm_topic=alarms,
            # Up to 10 checkouts per invocation, with no batching window: an order is written as soon as it is
            # polled (a shopper waits for it), and checkouts arriving together still share an invocation.
            # Visibility = 6 x 30 s + 0 s = 180 s.
            batch_size=10,
            max_batching_window=Duration.seconds(0),
            max_receive_count=5,
            max_age_alarm=Duration.minutes(5),
        )
        self.checkout_rule = EventRuleToQueue(
            self,
            "CheckoutRule",
            bus=self.bus,
            pattern=events.EventPattern(source=[CHECKOUT_SOURCE], detail_type=[CHECKOUT_DETAIL_TYPE]),
            queue=self.order_queue.queue,
            alarm_topic=alarms,
            description="CheckoutBasket -> order queue",
        )
        # ProductPriceChanged -> basket (async invoke; retries, target DLQ and on_failure destination).
        self.price_changed_rule = EventRuleToFunction(
            self,
            "PriceChangedRule",
            bus=self.bus,
            pattern=events.EventPattern(source=[PRICE_CHANGED_SOURCE], detail_type=[PRICE_CHANGED_DETAIL_TYPE]),
            function=self.basket_price_changed.function,
            alarm_topic=alarms,
            description="ProductPriceChanged -> basket price update",
        )

        # --- users and the REST API --------------------------------------------------------------------------------
        self.users = ApiUsers(self, "Users", removal=removal)
        self.api = self._rest_api()
        alarms.watch(
            cloudwatch.Alarm(
                self,
                "Api5xxAlarm",
                alarm_description="REST API: 5xx answers (a function failed, timed out or was throttled)",
                metric=self.api.metric_server_error(period=Duration.minutes(1), statistic=cloudwatch.Stats.SUM),
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )

        CfnOutput(self, "ApiUrl", value=self.api.url)
        CfnOutput(self, "UserPoolId", value=self.users.pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.users.client.user_pool_client_id)
        CfnOutput(self, "EventBusName", value=self.bus.event_bus_name)
        CfnOutput(self, "ProductTableName", value=self.product_table.table_name)
        CfnOutput(self, "BasketTableName", value=self.basket_table.table_name)
        CfnOutput(self, "OrderTableName", value=self.order_table.table_name)
        CfnOutput(self, "OrderQueueUrl", value=self.order_queue.queue.queue_url)
        CfnOutput(self, "OrderDlqUrl", value=self.order_queue.dlq.queue.queue_url)
        alarms.watch_functions(self)
        CfnOutput(self, "AlarmTopicArn", value=alarms.topic.topic_arn)

    def _rest_api(self) -> apigateway.RestApi:
        access_logs = logs.LogGroup(
            self, "ApiAccessLogs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY
        )
        api = apigateway.RestApi(
            self,
            "Api",
            description="Product, basket and ordering (one API, proxy integrations)",
            deploy_options=apigateway.StageOptions(
                stage_name=API_STAGE,
                access_log_destination=apigateway.LogGroupLogDestination(access_logs),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
                logging_level=apigateway.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request/response bodies (basket, checkout) stay out of logs
                tracing_enabled=True,
                # A ceiling for a reference API: stops a runaway client from running up the bill.
                throttling_rate_limit=50,
                throttling_burst_limit=100,
            ),
            # Execution/access logging needs the account-level API Gateway CloudWatch role.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY,
            endpoint_types=[apigateway.EndpointType.REGIONAL],
        )
        public: list[apigateway.Method] = []
        for path, container in (
            ("product", self.product_api),
            ("basket", self.basket_api),
            ("order", self.ordering_api),
        ):
            integration = apigateway.LambdaIntegration(container.function, proxy=True, allow_test_invoke=False)
            resource = api.root.add_resource(path)
            # {proxy+} carries /<path>/{id}, /basket/checkout and /order/{userName}.
            proxy = resource.add_proxy(default_integration=integration, any_method=False)
            for target in (resource, proxy):
                # Every method needs a signed-in user's ID token; the services decide what that user may do.
                target.add_method(
                    "ANY",
                    integration,
                    authorizer=self.users.authorizer,
                    authorization_type=apigateway.AuthorizationType.COGNITO,
                )
                if path == "product":  # the catalogue is public to read; writes are for admins (the service checks)
                    public.append(
                        target.add_method("GET", integration, authorization_type=apigateway.AuthorizationType.NONE)
                    )
            # Each service's OpenAPI document and docs page are public.
            for document in ("openapi.json", "docs"):
                public.append(
                    resource.add_resource(document).add_method(
                        "GET", integration, authorization_type=apigateway.AuthorizationType.NONE
                    )
                )
        for method in public:
            NagSuppressions.add_resource_suppressions(
                method,
                [
                    {
                        "id": rule,
                        "reason": "Public by design: reading the product catalogue and the services' API documents "
                        "needs no user. Every other method has the Cognito authorizer.",
                    }
                    for rule in ("AwsSolutions-APIG4", "AwsSolutions-COG4")
                ],
            )

        NagSuppressions.add_resource_suppressions(
            api,
            [
                {
                    "id": "AwsSolutions-APIG2",
                    "reason": "Requests are validated by the services' pydantic models, which return 400/422 "
                    "with the reason; a gateway model would duplicate them.",
                },
                {
                    "id": "AwsSolutions-APIG3",
                    "reason": "Reference system without WAF (cost); throttling is set on the stage.",
                },
                {
                    "id": "AwsSolutions-IAM4",
                    "reason": "API Gateway's account-level CloudWatch role uses the AWS-managed "
                    "AmazonAPIGatewayPushToCloudWatchLogs policy, as API Gateway documents.",
                    "appliesTo": [
                        "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                    ],
                },
            ],
            apply_to_children=True,
        )
        return api


def _table(
    scope: Construct,
    construct_id: str,
    partition_key: str,
    *,
    removal: RemovalPolicy,
    sort_key: str | None = None,
    expiry: str | None = None,
) -> dynamodb.Table:
    return dynamodb.Table(
        scope,
        construct_id,
        partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name=sort_key, type=dynamodb.AttributeType.STRING) if sort_key else None,
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        time_to_live_attribute=expiry,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        removal_policy=removal,
    )

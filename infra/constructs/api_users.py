"""ApiUsers: a Cognito user pool whose ID tokens a REST API accepts, with an ``admins`` group."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from cdk_nag import NagSuppressions
from constructs import Construct

#: The group whose members may write the catalogue and list every order (lambda_common.identity.ADMINS_GROUP).
ADMINS_GROUP = "admins"


class ApiUsers(Construct):
    """Users sign in by username (with an e-mail attribute) and are created by an administrator, never by
    themselves; the app client allows the username/password flows a CLI user and a script need."""

    def __init__(self, scope: Construct, construct_id: str, *, removal: RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        self.pool = cognito.UserPool(
            self,
            "Pool",
            sign_in_aliases=cognito.SignInAliases(username=True),
            sign_in_case_sensitive=False,
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            # No self sign-up: an administrator creates each user (docs/DEPLOY.md), so nobody signs themselves in.
            self_sign_up_enabled=False,
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=removal == RemovalPolicy.RETAIN,
            removal_policy=removal,
        )
        self.client = self.pool.add_client(
            "ApiClient",
            auth_flows=cognito.AuthFlow(user_password=True, admin_user_password=True),
            generate_secret=False,  # a CLI or a browser cannot keep a secret
            disable_o_auth=True,  # no hosted UI or OAuth flows: users sign in with the username/password flows
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
        )
        self.admins = cognito.CfnUserPoolGroup(
            self,
            "Admins",
            user_pool_id=self.pool.user_pool_id,
            group_name=ADMINS_GROUP,
            description="May create, change and delete products and list every order",
        )
        self.authorizer = apigateway.CognitoUserPoolsAuthorizer(self, "Authorizer", cognito_user_pools=[self.pool])
        NagSuppressions.add_resource_suppressions(
            self.pool,
            [
                *[
                    {
                        "id": rule,
                        "reason": "Threat protection (advanced security) needs the Plus feature plan, a per-user "
                        "cost a reference system does not impose; the strong password policy and no self sign-up "
                        "remain.",
                    }
                    for rule in ("AwsSolutions-COG8",)
                ],
                {
                    "id": "AwsSolutions-COG2",
                    "reason": "MFA is optional (TOTP) rather than required: the API's users sign in with "
                    "USER_PASSWORD_AUTH from a CLI or script, which a required second factor would block. "
                    "Require it when the pool holds customers' accounts.",
                },
            ],
        )

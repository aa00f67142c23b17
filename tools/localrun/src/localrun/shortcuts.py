"""Shortcuts for the common flows against a running topology (``./calllocally.sh`` wires these).

    python -m localrun.shortcuts ls
    python -m localrun.shortcuts put-event --bus SourceBus --source backtosource [--detail-type T] [--detail JSON]
    python -m localrun.shortcuts upload FILE [--bucket NAME-PART] [--key KEY]
    python -m localrun.shortcuts publish --topic NAME-PART --message TEXT [--subject S]
    python -m localrun.shortcuts send --queue NAME-PART --body TEXT
    python -m localrun.shortcuts receive --queue NAME-PART [--wait 2]       (reads and deletes, e.g. a DLQ)
    python -m localrun.shortcuts invoke --function NAME-PART [--payload JSON|@file] [--async]
    python -m localrun.shortcuts watch --bus NAME-PART [--pattern JSON]      (a catch-all rule to a queue, printed)
    python -m localrun.shortcuts user NAME [--admin] [--email E] [--password P] [--pool NAME-PART]
                                          (creates or updates a user of the local pool, prints an ID token)
    python -m localrun.shortcuts token NAME [--password P] [--pool NAME-PART]  (signs in, prints an ID token)

A NAME-PART is any case-insensitive part of the physical name; names contain the stack name and the logical id
(``EcommerceStack-OrderQueue...``), so ``--queue OrderQueue`` is enough. Several matches are an error.
The endpoint is ``$LOCALRUN_ENDPOINT`` or http://127.0.0.1:4566. The REST API wants the token printed by ``user``
or ``token`` as ``Authorization: Bearer $TOKEN``; it lasts an hour.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localrun.aws import EndpointClients
from localrun.userpools import find_pools

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.type_defs import AttributeTypeTypeDef


# The local pool's default password (it meets the stack's policy). Local only: cloud users choose their own.
DEFAULT_PASSWORD = "Local-Passw0rd!"
ADMINS_GROUP = "admins"


class ShortcutError(RuntimeError):
    pass


def pick(kind: str, names: list[str], part: str | None) -> str:
    """The one name containing ``part`` (case-insensitive); the only name when ``part`` is None."""
    names = [n for n in names if not n.startswith("localrun-")]
    if part is None:
        if len(names) == 1:
            return names[0]
        raise ShortcutError(f"{len(names)} {kind}s exist, name one with --{kind}: {', '.join(sorted(names)) or '-'}")
    exact = [n for n in names if n == part]
    found = exact or [n for n in names if part.lower() in n.lower()]
    if len(found) != 1:
        listing = ", ".join(sorted(found or names)) or "-"
        raise ShortcutError(f"{len(found)} {kind}s match {part!r}: {listing}")
    return found[0]


def out(data: Any) -> None:
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "ResponseMetadata"}
    sys.stdout.write((data if isinstance(data, str) else json.dumps(data, indent=2, default=str)) + "\n")


class Shortcuts:
    def __init__(self, clients: EndpointClients) -> None:
        self.c = clients

    def queues(self) -> list[str]:
        return [u.rsplit("/", 1)[1] for u in self.c.sqs.list_queues().get("QueueUrls", [])]

    def buses(self) -> list[str]:
        return [b["Name"] for b in self.c.events.list_event_buses()["EventBuses"]]

    def buckets(self) -> list[str]:
        return [b["Name"] for b in self.c.s3.list_buckets()["Buckets"]]

    def topics(self) -> list[str]:
        return [t["TopicArn"] for t in self.c.sns.list_topics()["Topics"]]

    def functions(self) -> list[str]:
        return [f["FunctionName"] for f in self.c.lambda_.list_functions()["Functions"]]

    def ls(self) -> dict[str, list[str]]:
        return {
            "functions": self.functions(),
            "queues": self.queues(),
            "buses": self.buses(),
            "buckets": self.buckets(),
            "topics": self.topics(),
            "tables": self.c.dynamodb.list_tables()["TableNames"],
            "user_pools": sorted(find_pools(self.c.cognito_idp)),
        }

    def put_event(self, bus: str | None, source: str, detail_type: str, detail: str) -> Any:
        name = pick("bus", [b for b in self.buses() if b != "default"] or ["default"], bus)
        return self.c.events.put_events(
            Entries=[{"EventBusName": name, "Source": source, "DetailType": detail_type, "Detail": detail}]
        )

    def upload(self, path: Path, bucket: str | None, key: str | None) -> str:
        name = pick("bucket", self.buckets(), bucket)
        target = key or path.name
        self.c.s3.put_object(Bucket=name, Key=target, Body=path.read_bytes())
        return f"s3://{name}/{target}"

    def publish(self, topic: str | None, message: str, subject: str | None) -> Any:
        arn = pick("topic", self.topics(), topic)
        if subject:
            return self.c.sns.publish(TopicArn=arn, Message=message, Subject=subject)
        return self.c.sns.publish(TopicArn=arn, Message=message)

    def send(self, queue: str | None, body: str) -> Any:
        name = pick("queue", self.queues(), queue)
        return self.c.sqs.send_message(QueueUrl=self.c.queue_url(name), MessageBody=body)

    def receive(self, queue: str | None, wait_s: int) -> list[dict[str, Any]]:
        return self._drain(self.c.queue_url(pick("queue", self.queues(), queue)), wait_s)

    def _drain(self, url: str, wait_s: int) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        while True:
            resp = self.c.sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=wait_s,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            messages = resp.get("Messages", [])
            if not messages:
                return got
            for m in messages:
                body: Any = m["Body"]
                try:
                    body = json.loads(body)
                except ValueError:
                    pass
                got.append(
                    {
                        "body": body,
                        "attributes": m.get("MessageAttributes", {}),
                        "receiveCount": m.get("Attributes", {}).get("ApproximateReceiveCount"),
                    }
                )
                self.c.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            wait_s = 0

    def invoke(self, function: str | None, payload: bytes, is_async: bool) -> Any:
        name = pick("function", self.functions(), function)
        resp = self.c.lambda_.invoke(
            FunctionName=name, Payload=payload, InvocationType="Event" if is_async else "RequestResponse"
        )
        if is_async:
            return {"StatusCode": resp["StatusCode"]}
        body = resp["Payload"].read()
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            parsed = body.decode(errors="replace")
        return {"StatusCode": resp["StatusCode"], "FunctionError": resp.get("FunctionError"), "Payload": parsed}

    def watch(self, bus: str | None, pattern: str | None, seconds: float | None) -> None:
        name = pick("bus", self.buses(), bus)
        watch_id = f"localrun-watch-{uuid.uuid4().hex[:8]}"
        url = self.c.sqs.create_queue(QueueName=watch_id)["QueueUrl"]
        arn = self.c.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.c.events.put_rule(
            Name=watch_id, EventBusName=name, EventPattern=pattern or json.dumps({"source": [{"prefix": ""}]})
        )
        self.c.events.put_targets(Rule=watch_id, EventBusName=name, Targets=[{"Id": "watch", "Arn": arn}])
        sys.stderr.write(f"watching {name} (Ctrl-C to stop)\n")
        deadline = None if seconds is None else time.monotonic() + seconds
        try:
            while deadline is None or time.monotonic() < deadline:
                for m in self._drain(url, 1):
                    out(m["body"])
        except KeyboardInterrupt:
            pass
        finally:
            self.c.events.remove_targets(Rule=watch_id, EventBusName=name, Ids=["watch"])
            self.c.events.delete_rule(Name=watch_id, EventBusName=name)
            self.c.sqs.delete_queue(QueueUrl=url)

    def user(self, name: str, pool: str | None, admin: bool, email: str | None, password: str) -> str:
        """Create (or update) user ``name`` with a permanent password, optionally in admins; an ID token of theirs."""
        cognito = self.c.cognito_idp
        pools = find_pools(cognito)
        pool_id = pools[pick("pool", list(pools), pool)].id
        attributes: list[AttributeTypeTypeDef] = [
            {"Name": "email", "Value": email or f"{name}@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ]
        try:
            cognito.admin_create_user(
                UserPoolId=pool_id, Username=name, UserAttributes=attributes, MessageAction="SUPPRESS"
            )
        except cognito.exceptions.UsernameExistsException:
            cognito.admin_update_user_attributes(UserPoolId=pool_id, Username=name, UserAttributes=attributes)
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=name, Password=password, Permanent=True)
        if admin:
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=name, GroupName=ADMINS_GROUP)
        return self.token(name, pool, password)

    def token(self, name: str, pool: str | None, password: str) -> str:
        """Sign ``name`` in with USER_PASSWORD_AUTH, as a CLI user would; their ID token."""
        cognito = self.c.cognito_idp
        pools = find_pools(cognito)
        found = pools[pick("pool", list(pools), pool)]
        if not found.client_ids:
            raise ShortcutError(f"user pool {found.name} has no app client to sign in with")
        result = cognito.initiate_auth(
            ClientId=found.client_ids[0],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )["AuthenticationResult"]
        return str(result["IdToken"])


def _payload(text: str | None) -> bytes:
    if text is None:
        return b"{}"
    if text.startswith("@"):
        return Path(text[1:]).read_bytes()
    return text.encode()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m localrun.shortcuts", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--endpoint", default=os.environ.get("LOCALRUN_ENDPOINT", "http://127.0.0.1:4566"))
    # --endpoint also after the command (./calllocally.sh ls --endpoint URL)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--endpoint", default=argparse.SUPPRESS, help="the local AWS endpoint")
    sub = p.add_subparsers(dest="command", required=True)
    real_add_parser = sub.add_parser

    def add_parser(name: str, **kwargs: Any) -> argparse.ArgumentParser:
        return real_add_parser(name, parents=[common], **kwargs)

    sub.add_parser = add_parser  # type: ignore[method-assign]
    sub.add_parser("ls", help="list functions, queues, buses, buckets, topics, tables")
    s = sub.add_parser("put-event", help="put an event on a bus")
    s.add_argument("--bus")
    s.add_argument("--source", required=True)
    s.add_argument("--detail-type", default="Demo")
    s.add_argument("--detail", default='{"message": "Hello World"}', help="JSON, or @file")
    s = sub.add_parser("upload", help="upload a file to a bucket")
    s.add_argument("file", type=Path)
    s.add_argument("--bucket")
    s.add_argument("--key")
    s = sub.add_parser("publish", help="publish to a topic")
    s.add_argument("--topic")
    s.add_argument("--message", required=True)
    s.add_argument("--subject")
    s = sub.add_parser("send", help="send a message to a queue")
    s.add_argument("--queue")
    s.add_argument("--body", required=True)
    s = sub.add_parser("receive", help="read and delete a queue's messages (e.g. a DLQ)")
    s.add_argument("--queue")
    s.add_argument("--wait", type=int, default=2)
    s = sub.add_parser("invoke", help="invoke a function")
    s.add_argument("--function")
    s.add_argument("--payload", help="JSON, or @file")
    s.add_argument("--async", dest="is_async", action="store_true", help="InvocationType=Event")
    s = sub.add_parser("watch", help="print every event on a bus")
    s.add_argument("--bus")
    s.add_argument("--pattern", help="an EventBridge pattern (default: everything)")
    s.add_argument("--seconds", type=float)
    s = sub.add_parser("user", help="create or update a user of the local user pool and print an ID token")
    s.add_argument("name")
    s.add_argument("--admin", action="store_true", help="add the user to the admins group")
    s.add_argument("--email", help="default: NAME@example.com")
    s.add_argument("--password", default=DEFAULT_PASSWORD, help="default: %(default)s (local only)")
    s.add_argument("--pool", help="NAME-PART of the user pool (when there are several)")
    s = sub.add_parser("token", help="sign a user in and print an ID token")
    s.add_argument("name")
    s.add_argument("--password", default=DEFAULT_PASSWORD)
    s.add_argument("--pool")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    sc = Shortcuts(EndpointClients(args.endpoint))
    try:
        if args.command == "ls":
            out(sc.ls())
        elif args.command == "put-event":
            out(sc.put_event(args.bus, args.source, args.detail_type, _payload(args.detail).decode()))
        elif args.command == "upload":
            out(sc.upload(args.file, args.bucket, args.key))
        elif args.command == "publish":
            out(sc.publish(args.topic, args.message, args.subject))
        elif args.command == "send":
            out(sc.send(args.queue, args.body))
        elif args.command == "receive":
            out(sc.receive(args.queue, args.wait))
        elif args.command == "invoke":
            out(sc.invoke(args.function, _payload(args.payload), args.is_async))
        elif args.command == "watch":
            sc.watch(args.bus, args.pattern, args.seconds)
        elif args.command == "user":
            out(sc.user(args.name, args.pool, args.admin, args.email, args.password))
        elif args.command == "token":
            out(sc.token(args.name, args.pool, args.password))
    except ShortcutError as exc:
        sys.stderr.write(f"calllocally: {exc}\n")
        return 2
    except Exception as exc:  # e.g. nothing listening on the endpoint
        sys.stderr.write(f"calllocally: {exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

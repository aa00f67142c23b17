"""The runner: wires moto, the Lambda control plane, the AWS endpoint, the pools, the pollers and the REST API for
one topology, and stops them in reverse order. Started through :mod:`localrun.launch`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from localrun.apply import TopologyDiff
from localrun.aws import BackendClients, EndpointClients
from localrun.clock import Clock, Scheduler
from localrun.journal import Journal
from localrun.lambdas import LambdaControlPlane
from localrun.model import ACCOUNT_ID, Function, Topology
from localrun.pool import FunctionPool, Instance
from localrun.redrive import MessageMover
from localrun.restapi import RestGateway
from localrun.traces import DEFAULT_KEEP_HOPS, TraceStore

if TYPE_CHECKING:
    from localrun.gateway import Gateway  # imported when the runner starts: it brings moto

Starter = Callable[[Function], Instance]
DEFAULT_POOL_MAX = 4


def rie_starter(
    mode: str, endpoint: str, output: Any = None, mounts: Callable[[str], tuple[tuple[str, str], ...]] | None = None
) -> Starter:
    """Start functions as RIE instances (``localrun.instance``), as containers or processes.

    ``output`` (a file) receives the functions' own logs; by default they are interleaved with the journal.
    ``mounts`` (docker mode, hot reload) gives a service's source directories to mount over its installed packages.
    """
    from localrun.instance import FunctionSpec, start_instance

    def start(fn: Function) -> Instance:
        spec = FunctionSpec(
            name=fn.name,
            service=fn.service,
            handler=fn.handler,
            env=fn.env,
            timeout_s=fn.timeout_s,
            memory_mb=fn.memory_mb,
            image=fn.service,
            endpoint=endpoint,
            mounts=mounts(fn.service) if mounts else (),
        )
        instance: Instance = start_instance(spec, mode, output=output)
        return instance

    return start


class Runner:
    def __init__(
        self,
        topology: Topology,
        starter: Starter,
        *,
        clock: Clock,
        journal: Journal,
        port: int = 4566,
        api_port: int = 3000,
        pool_max: int = DEFAULT_POOL_MAX,
        warm: int = 1,
        esm_pollers: int = 2,
        mode: str = "",
        state_dir: str | None = None,
        console_port: int | None = None,
        trace_hops: int = DEFAULT_KEEP_HOPS,
    ) -> None:
        self.topology = topology
        self.mode = mode
        self.starter = starter
        self.clock = clock
        self.journal = journal
        self.port = port
        self.api_port = api_port
        self.pool_max = pool_max
        self.warm = warm
        self.esm_pollers = esm_pollers
        self.state_dir = state_dir  # moto's state is restored from and saved here (localrun.state)
        self.endpoint = f"http://127.0.0.1:{port}"
        self._stoppers: list[Callable[[], None]] = []
        self._stopped = threading.Event()
        self.pools: dict[str, FunctionPool] = {}
        self.control: LambdaControlPlane | None = None  # set by start()
        self.rest: RestGateway | None = None  # set by start() when the topology has a REST API
        self.gateway: Gateway | None = None  # the AWS endpoint, set by start()
        self.timings: dict[str, float] = {}
        self._functions = {fn.name: fn for fn in topology.functions}  # the current definitions (infra changes)
        self.console_port = console_port  # None: no console
        self.console_url: str | None = None  # set by start() when the console runs
        self.traces = TraceStore(trace_hops)
        journal.add_listener(self.traces.record)

    def start(self) -> None:
        t0 = time.monotonic()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.timings["total_s"] = time.monotonic() - t0

    def _start(self) -> None:
        from localrun.gateway import Gateway
        from localrun.motobackend import MotoBackend
        from localrun.provision import provision

        t = time.monotonic()
        moto = MotoBackend(ACCOUNT_ID, state_dir=self.state_dir)
        self._stoppers.append(moto.stop)
        self.timings["moto_s"] = time.monotonic() - t

        scheduler = Scheduler()
        self._stoppers.append(scheduler.stop)
        self._stoppers.append(self._keep_pending_async)  # runs after the pools closed, before the scheduler stops
        for fn in self.topology.functions:
            self.pools[fn.name] = self._new_pool(fn)
        self._stoppers.append(self._close_pools)
        backend = BackendClients(moto.url)
        control = LambdaControlPlane(
            self.topology, self.pools, backend, self.clock, scheduler, self.journal, self.traces
        )
        self.control = control
        mover = MessageMover(self.topology, backend, self.journal, self.traces)
        gateway = Gateway(moto, control, self.journal, port=self.port, mover=mover)
        gateway.start()
        self.gateway = gateway
        self._stoppers.append(gateway.stop)

        t = time.monotonic()
        provision(self.topology, EndpointClients(self.endpoint), self.journal)
        self.timings["provision_s"] = time.monotonic() - t

        t = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = {fn.name: pool.submit(self.pools[fn.name].warm, self.warm) for fn in self.topology.functions}
            for name, future in futures.items():
                try:
                    future.result()
                except Exception as exc:
                    self.journal.log("warm", f"{name}: could not start an instance: {exc}")
        self.timings["warm_s"] = time.monotonic() - t

        control.start_event_source_mappings(self.esm_pollers)
        self._stoppers.append(control.stop_pollers)
        self._resume_pending_async(control)
        if self.topology.rest_apis:
            from localrun.authorizer import CognitoAuthorizer

            authorizer = CognitoAuthorizer(self.endpoint)
            if self.topology.user_pools:
                authorizer.warm()
            rest = RestGateway(
                self.topology.rest_apis, control, self.journal, port=self.api_port, authorizer=authorizer
            )
            rest.start()
            self.rest = rest
            self._stoppers.append(rest.stop)
        if self.console_port is not None:
            self._start_console(control, mover, backend)

    def _start_console(self, control: LambdaControlPlane, mover: MessageMover, backend: BackendClients) -> None:
        from localrun.console.app import ConsoleContext
        from localrun.console.server import ConsoleServer
        from localrun.images import repo_root

        ctx = ConsoleContext(
            lambda: self.topology,
            self.mode,
            self.pools,
            control,
            self.traces,
            mover,
            backend,
            EndpointClients(self.endpoint),
            repo_root(),
        )
        console = ConsoleServer(ctx, self.console_port or 0)
        console.start()
        self.console_url = console.url
        self._stoppers.append(console.stop)

    def _resume_pending_async(self, control: LambdaControlPlane) -> None:
        if not self.state_dir:
            return
        from localrun.state import PENDING_ASYNC, take_pending

        pending = take_pending(Path(self.state_dir) / PENDING_ASYNC)
        for p in pending:
            try:
                control.resume_async(p.function, p.payload, p.request_id, p.corr, p.age_s, p.attempts)
            except LookupError:
                self.journal.log(
                    "dropped", f"{p.function}: saved async invocation of a function no longer here", p.corr
                )
        if pending:
            self.journal.log("state", f"resumed {len(pending)} async invocation(s) pending at the last stop")

    def _keep_pending_async(self) -> None:
        """Async invocations queued or waiting for a retry: saved to resume at the next start (with a state
        directory), else written to a file and logged as dropped. Never lost silently."""
        if self.control is None:
            return
        import base64
        import tempfile

        from localrun.state import PENDING_ASYNC, PendingAsync, write_pending

        pending = [
            PendingAsync(
                function=ev.function.name,
                payload_b64=base64.b64encode(ev.payload).decode(),
                request_id=ev.request_id,
                corr=ev.corr,
                age_s=self.clock.aws_elapsed(ev.enqueued),
                attempts=ev.attempts,
            )
            for ev in self.control.pending_async()
        ]
        if not pending:
            return
        if self.state_dir:
            path = Path(self.state_dir) / PENDING_ASYNC
            write_pending(path, pending)
            self.journal.log("state", f"{len(pending)} async invocation(s) pending: saved to {path}, resumed at start")
        else:
            fd, name = tempfile.mkstemp(prefix="localrun-dropped-async-", suffix=".json")
            os.close(fd)
            write_pending(Path(name), pending)
            for p in pending:
                self.journal.log("dropped", f"{p.function}: async invocation pending at shutdown", p.corr)
            self.journal.log("dropped", f"{len(pending)} async invocation(s) pending at shutdown; payloads in {name}")

    def _starter_for(self, fn: Function) -> Callable[[], Instance]:
        name = fn.name
        return lambda: self.starter(self._functions[name])  # the definition current when the instance starts

    def _new_pool(self, fn: Function) -> FunctionPool:
        size = min(self.pool_max, fn.reserved_concurrency) if fn.reserved_concurrency else self.pool_max
        return FunctionPool(fn.name, self._starter_for(fn), max(1, size))

    def apply(self, new: Topology, change: TopologyDiff) -> None:
        """Apply an infra change in place (``localrun.apply`` decides that it is safe): new and changed functions
        and resources come into service, removed ones go; the state of everything else is untouched."""
        from localrun.provision import provision

        control = self.control
        if control is None:
            raise RuntimeError("the runner has not started")
        added = [fn for fn in new.functions if fn.name in change.added.get("function", [])]
        self._functions.update({fn.name: fn for fn in new.functions})
        for fn in added:
            self.pools[fn.name] = self._new_pool(fn)
        old, self.topology = self.topology, new
        control.topology = new
        provision(new, EndpointClients(self.endpoint), self.journal)  # creates what is new, keeps what exists
        self._delete_removed(old, change)
        for name in change.removed.get("function", []):
            pool = self.pools.pop(name, None)
            if pool is not None:
                pool.close()
        if self.rest is not None:
            self.rest.apis = new.rest_apis
        changed = change.changed.get("function", [])
        control.recycle([*changed, *(fn.name for fn in added)], warm=self.warm)

    def _delete_removed(self, old: Topology, change: TopologyDiff) -> None:
        clients = EndpointClients(self.endpoint)
        for q in old.queues:
            if q.name in change.removed.get("queue", []):
                clients.sqs.delete_queue(QueueUrl=f"{self.endpoint}/{ACCOUNT_ID}/{q.name}")
        for rule in old.rules:
            if rule.name in change.removed.get("rule", []):
                targets = clients.events.list_targets_by_rule(Rule=rule.name, EventBusName=rule.bus_name)["Targets"]
                if targets:
                    ids = [t["Id"] for t in targets]
                    clients.events.remove_targets(Rule=rule.name, EventBusName=rule.bus_name, Ids=ids)
                clients.events.delete_rule(Name=rule.name, EventBusName=rule.bus_name)
        for topic in old.topics:
            if topic.name in change.removed.get("topic", []):
                clients.sns.delete_topic(TopicArn=topic.arn)

    def reap_idle(self) -> None:
        for pool in self.pools.values():
            pool.reap_idle()

    def _close_pools(self) -> None:
        # In parallel: stopping a container takes a while, and Ctrl-C should not.
        with ThreadPoolExecutor(max_workers=16) as workers:
            list(workers.map(lambda pool: pool.close(), self.pools.values()))

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()
        for stop in reversed(self._stoppers):
            try:
                stop()
            except Exception as exc:
                self.journal.log("stop", f"{exc!r}")
        if self.mode == "docker":  # belt and braces: a container whose stop raced the shutdown
            from localrun.instance import stop_leftover_containers

            left = stop_leftover_containers(os.getpid())
            if left:
                self.journal.log("stop", f"removed {left} leftover container(s)")

    def describe(self) -> str:
        lines = [f"local AWS endpoint  {self.endpoint}   (aws --endpoint-url {self.endpoint} ...)"]
        if self.console_url:
            lines.append(f"console             {self.console_url}   (topology, traces, queues and DLQs, data)")
        if self.topology.rest_apis:
            lines.append(
                f"REST API            http://127.0.0.1:{self.api_port}   "
                f"(routes: {', '.join(sorted({r.path for a in self.topology.rest_apis for r in a.routes}))})"
            )
        lines.append(f"stacks              {', '.join(self.topology.stacks)}")
        for fn in self.topology.functions:
            pool = self.pools.get(fn.name)
            lines.append(
                f"function            {fn.name}  [{fn.handler}]  pool {pool.size if pool else 0}/"
                f"{pool.max_size if pool else 0}"
            )
        for q in self.topology.queues:
            lines.append(f"queue               {self.endpoint}/{ACCOUNT_ID}/{q.name}")
        for bus in self.topology.buses:
            lines.append(f"event bus           {bus.name}")
        for bucket in self.topology.buckets:
            lines.append(f"bucket              s3://{bucket.name}")
        for tp in self.topology.topics:
            lines.append(f"topic               {tp.arn}")
        for tb in self.topology.tables:
            lines.append(f"table               {tb.name}")
        for up in self.topology.user_pools:
            lines.append(f"user pool           {up.name}   (./calllocally.sh user NAME [--admin] prints a token)")
        for s in self.topology.skipped:
            lines.append(f"not emulated        {s}")
        lines.append(f"time scale          {self.clock.scale} (AWS's 60 s retry wait = {self.clock.scaled(60):.2f} s)")
        return "\n".join(lines)

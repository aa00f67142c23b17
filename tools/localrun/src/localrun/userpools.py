"""Cognito user pools on the local endpoint: created from the topology, and found again by name.

Cognito (here moto) chooses a pool's id and its clients' ids when it creates them, so the rest of the runner knows a
pool by its name (model.UserPool) and looks the ids up here once the pool exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localrun.model import REGION, Topology


@dataclass(frozen=True)
class LocalPool:
    name: str
    id: str
    client_ids: tuple[str, ...]

    @property
    def issuer(self) -> str:
        """The ``iss`` of the pool's tokens (moto writes AWS's issuer URL, as Cognito does)."""
        return f"https://cognito-idp.{REGION}.amazonaws.com/{self.id}"


def create_user_pools(topology: Topology, cognito: Any) -> int:
    """Create the topology's pools, their app clients and groups; returns how many pools were created.

    A pool restored from the state directory (same name) is kept with its users, so tokens issued before a restart
    stay valid; only its missing clients and groups are added.
    """
    existing = {p["Name"]: p["Id"] for p in cognito.list_user_pools(MaxResults=60)["UserPools"]}
    ids: dict[str, str] = {}
    created = 0
    for pool in topology.user_pools:
        if pool.name in existing:
            ids[pool.name] = existing[pool.name]
        else:
            ids[pool.name] = cognito.create_user_pool(PoolName=pool.name, **pool.create_args)["UserPool"]["Id"]
            created += 1
    for client in topology.user_pool_clients:
        if client.pool_name in ids and client.name not in _client_names(cognito, ids[client.pool_name]):
            cognito.create_user_pool_client(
                UserPoolId=ids[client.pool_name], ClientName=client.name, **client.create_args
            )
    for group in topology.user_pool_groups:
        if group.pool_name in ids and group.name not in _group_names(cognito, ids[group.pool_name]):
            extra: dict[str, Any] = {"Description": group.description} if group.description else {}
            if group.precedence is not None:
                extra["Precedence"] = group.precedence
            cognito.create_group(UserPoolId=ids[group.pool_name], GroupName=group.name, **extra)
    return created


def _client_names(cognito: Any, pool_id: str) -> set[str]:
    return {
        c["ClientName"] for c in cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    }


def _group_names(cognito: Any, pool_id: str) -> set[str]:
    return {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]}


def find_pools(cognito: Any) -> dict[str, LocalPool]:
    """Every pool on the endpoint, by name, with its app clients' ids."""
    pools: dict[str, LocalPool] = {}
    for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60):
        for summary in page["UserPools"]:
            clients = [
                c["ClientId"]
                for client_page in cognito.get_paginator("list_user_pool_clients").paginate(
                    UserPoolId=summary["Id"], MaxResults=60
                )
                for c in client_page["UserPoolClients"]
            ]
            pools[summary["Name"]] = LocalPool(summary["Name"], summary["Id"], tuple(clients))
    return pools

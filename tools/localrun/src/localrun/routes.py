"""Route matching for the REST API, in one place: which resource (``/product/{id}``) a request path selects."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from localrun.model import RestApi, Route


def match_route(template: str, path: str) -> dict[str, str] | None:
    """Match an API Gateway resource path (``/product/{id}``, ``/files/{proxy+}``) against a request path."""
    t_parts = [p for p in template.split("/") if p]
    p_parts = [p for p in path.split("/") if p]
    params: dict[str, str] = {}
    for i, part in enumerate(t_parts):
        if part.startswith("{") and part.endswith("+}"):
            rest = p_parts[i:]
            if not rest:
                return None
            params[part[1:-2]] = "/".join(rest)
            return params
        if i >= len(p_parts):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = p_parts[i]
        elif part != p_parts[i]:
            return None
    return params if len(p_parts) == len(t_parts) else None


def _specificity(route: Route) -> tuple[int, int, int]:
    parts = [p for p in route.path.split("/") if p]
    literal = sum(1 for p in parts if not p.startswith("{"))
    greedy = sum(1 for p in parts if p.endswith("+}"))
    return (-greedy, literal, len(parts))


def find_route(apis: tuple[RestApi, ...], method: str, path: str) -> tuple[RestApi, Route, dict[str, str]] | None:
    """The most specific route for ``path`` (literal segments beat ``{param}``, which beats ``{proxy+}``)."""
    candidates = []
    for api in apis:
        for route in api.routes:
            if route.method not in (method, "ANY"):
                continue
            params = match_route(route.path, path)
            if params is not None:
                candidates.append((_specificity(route), route.method == method, api, route, params))
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    _, _, api, route, params = candidates[0]
    return api, route, params


@dataclass(frozen=True)
class RouteMatch:
    api: RestApi
    route: Route
    params: dict[str, str]  # path parameters, percent-decoded
    path: str  # the request path, without the stage prefix when it had one


def resolve_route(apis: tuple[RestApi, ...], method: str, path: str) -> RouteMatch | None:
    """The route a request selects, also with the stage prefix (``/prod/...``), so URLs copied from AWS work."""
    found = find_route(apis, method, path)
    stripped = path
    if found is None:
        for api in apis:
            prefix = f"/{api.stage}"
            if path == prefix or path.startswith(prefix + "/"):
                stripped = path[len(prefix) :] or "/"
                found = find_route((api,), method, stripped)
                if found:
                    break
    if found is None:
        return None
    api, route, params = found
    return RouteMatch(api, route, {k: unquote(v) for k, v in params.items()}, stripped)

"""The FastAPI+Mangum floor: one async route, no settings, no AWS, no middleware."""

from fastapi import FastAPI
from mangum import Mangum

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/product/{id}")
async def get_product(id: str) -> dict[str, str]:  # noqa: A002 - matches the route
    return {"id": id}


handler = Mangum(app, lifespan="off")

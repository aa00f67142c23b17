"""The demo payload: ``{"pass": true}`` or ``{"pass": false}``; other fields are ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool


class DemoPayload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    # Strict: the seed's truthiness test let {"pass": "false"} succeed; only JSON true/false are accepted here.
    pass_: StrictBool = Field(alias="pass")

"""The S3 event notification, as delivered to Lambda (only the fields this function uses).

Lenient on purpose about everything it does not use, so notifications from moto or another emulator parse too.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class S3Bucket(_Lenient):
    name: str = Field(min_length=1)


class S3Object(_Lenient):
    key: str = Field(min_length=1)
    size: int | None = None
    e_tag: str | None = Field(default=None, alias="eTag")
    version_id: str | None = Field(default=None, alias="versionId")
    # Hex; grows with every write of the key (comparable only within one key, after left-padding with zeros).
    sequencer: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f]{1,32}$")

    @field_validator("key")
    @classmethod
    def _decode_key(cls, value: str) -> str:
        # Keys arrive URL-encoded with '+' for spaces ("my+file%281%29.csv" is "my file(1).csv").
        return unquote_plus(value)


class S3Entity(_Lenient):
    bucket: S3Bucket
    object: S3Object


class S3EventRecord(_Lenient):
    event_source: str = Field(default="aws:s3", alias="eventSource")
    event_name: str = Field(alias="eventName")
    s3: S3Entity

    @property
    def is_object_created(self) -> bool:
        return self.event_name.startswith("ObjectCreated:")


class S3Notification(_Lenient):
    records: list[S3EventRecord] = Field(alias="Records")


class S3TestEvent(_Lenient):
    """Sent once by S3 (and moto) when a notification configuration is saved: ``{"Event": "s3:TestEvent", ...}``."""

    event: str = Field(alias="Event", pattern=r"^s3:TestEvent$")
    bucket: str | None = Field(default=None, alias="Bucket")

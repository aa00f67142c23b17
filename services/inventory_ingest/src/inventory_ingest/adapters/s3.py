"""S3 adapters: stream an upload, write/remove rejects reports."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from inventory_ingest.models.rejection import Rejection
from inventory_ingest.ports import ObjectGoneError, ObjectRef, OpenedObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CHUNK_BYTES = 1024 * 1024
_GONE_CODES = {"NoSuchKey", "NoSuchVersion", "PreconditionFailed", "412", "404"}
MAX_CONTENT_CHARS = 1000
REPORT_COLUMNS = ("line", "reason", "content")
# A cell starting with one of these is a formula to Excel, LibreOffice or Google Sheets (CSV injection, OWASP).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """Neutralise a cell a spreadsheet would evaluate: a leading ``'`` makes it text (it is not shown)."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


class S3ObjectSource:
    """Streams an object in fixed-size chunks: memory use is one chunk, whatever the object's size."""

    def __init__(self, s3: S3Client, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._s3 = s3
        self._chunk_bytes = chunk_bytes

    def open(self, ref: ObjectRef) -> OpenedObject:
        kwargs: dict[str, Any] = {"Bucket": ref.bucket, "Key": ref.key}
        # Read exactly what the notification announced. Without a version id, IfMatch on the ETag makes an
        # overwrite since then fail (412) rather than be ingested under the old version's idempotency keys.
        if ref.version_id and ref.version_id != "null":
            kwargs["VersionId"] = ref.version_id
        elif ref.etag:
            kwargs["IfMatch"] = ref.etag
        try:
            response = self._s3.get_object(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in _GONE_CODES:
                raise ObjectGoneError(f"s3://{ref.bucket}/{ref.key}: {code}") from exc
            raise
        body = response["Body"]
        return OpenedObject(
            version_id=response.get("VersionId"), etag=response.get("ETag", ""), chunks=self._chunks(body)
        )

    def _chunks(self, body: Any) -> Iterator[bytes]:
        try:
            yield from body.iter_chunks(self._chunk_bytes)
        finally:
            body.close()


class _SpooledReport:
    """Rows go to a temporary file that stays in memory while small and moves to /tmp when large."""

    def __init__(self, s3: S3Client) -> None:
        self._s3 = s3
        self._file = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)  # noqa: SIM115 - closed in close()
        self._text = io.TextIOWrapper(self._file, encoding="utf-8", newline="")
        self._writer = csv.writer(self._text)
        self._writer.writerow(REPORT_COLUMNS)

    def add(self, rejection: Rejection) -> None:
        content = rejection.content[:MAX_CONTENT_CHARS]
        self._writer.writerow((rejection.line, spreadsheet_safe(rejection.reason), spreadsheet_safe(content)))

    def save(self, bucket: str, key: str) -> None:
        self._text.flush()
        self._file.seek(0)
        # upload_fileobj switches to multipart for large reports.
        self._s3.upload_fileobj(self._file, bucket, key, ExtraArgs={"ContentType": "text/csv; charset=utf-8"})

    def close(self) -> None:
        self._text.close()


class S3RejectsStore:
    def __init__(self, s3: S3Client) -> None:
        self._s3 = s3

    def new_report(self) -> _SpooledReport:
        return _SpooledReport(self._s3)

    def remove(self, bucket: str, key: str) -> None:
        # Look first: in a versioned bucket a blind delete would add a delete marker for every clean upload.
        try:
            self._s3.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in {"404", "NoSuchKey", "NotFound"}:
                return
            raise
        self._s3.delete_object(Bucket=bucket, Key=key)

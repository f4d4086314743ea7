"""multipart/form-data in and out: function deploy uploads and function body downloads."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str
    data: bytes


def parse(content_type: str, body: bytes) -> list[Part]:
    """Split a multipart body (the stdlib email parser handles the MIME framing)."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValueError("expected a multipart/form-data body")
    parts = []
    for item in message.iter_parts():
        payload = item.get_payload(decode=True)
        parts.append(Part(item.get_param("name", header="content-disposition") or "",  # type: ignore[arg-type]
                          item.get_filename(), item.get_content_type(),
                          payload if isinstance(payload, bytes) else b""))
    return parts


def build(parts: list[Part]) -> tuple[str, bytes]:
    """(content type with boundary, body)."""
    boundary = "sim" + secrets.token_hex(12)
    chunks = []
    for part in parts:
        disposition = f'form-data; name="{part.name}"'
        if part.filename is not None:
            disposition += f'; filename="{part.filename}"'
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
                      f"Content-Type: {part.content_type}\r\n\r\n".encode() + part.data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)

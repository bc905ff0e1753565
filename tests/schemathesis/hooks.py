"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by run.py): how to send the bodies
whose media types schemathesis does not know: a tus PATCH and a province's set as TOML."""

import schemathesis


def _as_bytes(value):
    if isinstance(value, bytes):
        return value
    return str(value).encode()


@schemathesis.serializer("application/offset+octet-stream")
def offset_octet_stream(ctx, value):
    return _as_bytes(value)


@schemathesis.serializer("application/toml")
def toml(ctx, value):
    return _as_bytes(value)

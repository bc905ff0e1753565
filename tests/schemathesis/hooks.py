"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by run.py): how to send a tus PATCH
body, whose media type schemathesis does not know."""

import schemathesis


@schemathesis.serializer("application/offset+octet-stream")
def offset_octet_stream(ctx, value):
    if isinstance(value, bytes):
        return value
    return str(value).encode()

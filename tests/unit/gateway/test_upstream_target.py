"""The target the gateway sends upstream: the client's bytes, with every byte that is not
visible ASCII percent-escaped, and nothing else touched."""

from __future__ import annotations

from commerce.gateway.upstream import encode_target


def test_visible_ascii_goes_out_byte_for_byte() -> None:
    path = bytes(range(0x21, 0x7F)).replace(b"?", b"")
    assert encode_target(b"/v1/products/" + path, b"q=a%20b&x=~") == (
        b"/v1/products/" + path + b"?q=a%20b&x=~"
    )
    assert encode_target(b"/v1/orders", b"") == b"/v1/orders"


def test_every_other_byte_is_escaped_as_itself() -> None:
    for byte in (*range(0x00, 0x21), *range(0x7F, 0x100)):
        raw = b"/v1/products/a" + bytes([byte]) + b"b"
        assert encode_target(raw, b"") == b"/v1/products/a%" + b"%02X" % byte + b"b", byte


def test_escapes_in_path_and_query_together() -> None:
    assert encode_target("/v1/products/é".encode(), "q=ü x".encode()) == (
        b"/v1/products/%C3%A9?q=%C3%BC%20x"
    )

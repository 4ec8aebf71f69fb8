"""The packet class finds binary payloads as python-socketio does, without walking plain ones."""

from __future__ import annotations

import pytest
from socketio import packet

from couples.realtime.protocol import TolerantPacket

PAYLOADS = [
    ["snapshot", {"version": 3, "steps": [{"id": "s1", "answers": {"a": "x" * 2000}}], "names": {"a": "Ana"}}],
    ["event", b"raw"],
    ["event", {"nested": [1, {"deep": bytearray(b"raw")}]}],
    ["event", (b"in a tuple",)],  # python-socketio doesn't look into tuples: not binary for either
    ["event", {"big": 2**70}],  # beyond orjson's integers: walked the slow way, still not binary
    ["event", "\ud800"],  # a lone surrogate: the same
    ["event", {b"bytes key": 1}],
    [],
    None,
]


@pytest.mark.parametrize("data", PAYLOADS, ids=range(len(PAYLOADS)))
def test_binary_payloads_are_found_as_python_socketio_finds_them(data):
    assert TolerantPacket.data_is_binary(data) is packet.Packet.data_is_binary(data)


def test_a_binary_payload_still_becomes_a_binary_event_with_its_attachment():
    sent = TolerantPacket(packet.EVENT, data=["event", {"file": b"\x00\x01"}], namespace="/live")

    encoded = sent.encode()

    assert sent.packet_type == packet.BINARY_EVENT
    assert encoded[1] == b"\x00\x01"


def test_a_plain_payload_is_one_text_event():
    sent = TolerantPacket(packet.EVENT, data=["snapshot", {"version": 3}], namespace="/live")

    assert sent.packet_type == packet.EVENT
    assert sent.encode() == '2/live,["snapshot",{"version":3}]'

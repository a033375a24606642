"""Client-side checks of Custody's audit log for the integration tests: RFC 9162 hashes and
proof verification, the version 1 record encoding, and C2SP signed checkpoints.

Written from RFC 9162 sections 2.1.1 to 2.1.4 and docs/audit-log-format.md, independently of
the C++ code, so that the tests compare two implementations.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import support


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_leaf_hashes(hashes: list[bytes]) -> bytes:
    """Return the RFC 9162 Merkle tree hash of the leaves whose hashes are given, in order."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    level = list(hashes)
    # Pairing from the left and carrying an odd last node up gives the same root as splitting
    # at the largest power of two below n.
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2 == 1:
            paired.append(level[-1])
        level = paired
    return level[0]


def verify_inclusion(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> None:
    """Raise AssertionError unless `proof` shows leaf hash `leaf` at `index` in `root`
    (RFC 9162 section 2.1.3.2)."""
    if index >= size:
        raise AssertionError(f"inclusion: index {index} is not below size {size}")
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise AssertionError("inclusion: proof is longer than the path")
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise AssertionError("inclusion: proof is shorter than the path")
    if r != root:
        raise AssertionError("inclusion: computed root differs")


def verify_consistency(size1: int, size2: int, root1: bytes, root2: bytes,
                       proof: list[bytes]) -> None:
    """Raise AssertionError unless `proof` shows the tree of `size2` extends the tree of
    `size1` (RFC 9162 section 2.1.4.2, for 0 < size1 <= size2)."""
    if not 0 < size1 <= size2:
        raise AssertionError(f"consistency: sizes {size1} -> {size2} are not 0 < m <= n")
    if size1 == size2:
        if proof or root1 != root2:
            raise AssertionError("consistency: equal sizes need an empty proof and equal roots")
        return
    if not proof:
        raise AssertionError("consistency: empty proof")
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # a power of two: the old root is the first node
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise AssertionError("consistency: proof is longer than the path")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise AssertionError("consistency: proof is shorter than the path")
    if fr != root1:
        raise AssertionError("consistency: the proof does not rebuild the old root")
    if sr != root2:
        raise AssertionError("consistency: the proof does not rebuild the new root")


@dataclass
class Record:
    seq: int
    time: int
    organization_id: str
    actor: str
    action: str
    resource: str
    decision: str
    reason: str
    request_id: str
    source: str


def decode_record(leaf: bytes) -> Record:
    """Decode the version 1 encoding of docs/audit-log-format.md."""
    if len(leaf) < 17 or leaf[0] != 1:
        raise AssertionError(f"not a version 1 record: {leaf[:17].hex()}")
    seq, time = struct.unpack(">Qq", leaf[1:17])
    offset = 17
    fields = []
    for _ in range(8):
        (length,) = struct.unpack(">I", leaf[offset:offset + 4])
        offset += 4
        fields.append(leaf[offset:offset + length].decode("utf-8"))
        offset += length
    if offset != len(leaf):
        raise AssertionError(f"record {seq} has {len(leaf) - offset} trailing bytes")
    return Record(seq, time, *fields)


def b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


@dataclass
class Checkpoint:
    origin: str
    size: int
    root: bytes


def open_checkpoint(note: str, verifier_key: str, origin: str) -> Checkpoint:
    """Verify a C2SP signed checkpoint with one Ed25519 verifier key and return its fields."""
    # The key name contains no "+", but the base64 key may.
    name, key_id_hex, key_b64 = verifier_key.split("+", 2)
    typed_key = b64(key_b64)
    if typed_key[0] != 1 or len(typed_key) != 33:
        raise AssertionError(f"not an Ed25519 verifier key: {verifier_key}")
    key_id = bytes.fromhex(key_id_hex)
    public_key = Ed25519PublicKey.from_public_bytes(typed_key[1:])
    text, separator, signatures = note.rpartition("\n\n")
    if not separator:
        raise AssertionError("the note has no blank line")
    text += "\n"
    verified = False
    for line in signatures.splitlines():
        prefix = "\u2014 " + name + " "
        if not line.startswith(prefix):
            continue
        signature = b64(line[len(prefix):])
        if signature[:4] != key_id:
            continue
        try:
            public_key.verify(signature[4:], text.encode("utf-8"))
        except InvalidSignature as error:
            raise AssertionError(f"bad signature by {name} on:\n{text}") from error
        verified = True
    if not verified:
        raise AssertionError(f"no signature by {verifier_key} on:\n{note}")
    lines = text.splitlines()
    if lines[0] != origin:
        raise AssertionError(f"checkpoint origin {lines[0]!r}, expected {origin!r}")
    return Checkpoint(lines[0], int(lines[1]), b64(lines[2]))


def fetch_entries(api: support.Api, size: int) -> list[dict]:
    """Return the log's entries [0, size), in pages of 1000."""
    entries: list[dict] = []
    while len(entries) < size:
        page = api.expect(200, "GET", f"/api/v1/audit/entries?start={len(entries)}&limit=1000")
        if not page["entries"]:
            raise AssertionError(f"the log ends at {len(entries)}, before {size}")
        entries.extend(page["entries"])
    del entries[size:]
    for position, entry in enumerate(entries):
        if entry["seq"] != position:
            raise AssertionError(f"entry {position} has seq {entry['seq']}: the log has a gap")
    return entries


def check_entries(entries: list[dict]) -> list[bytes]:
    """Check each entry's leaf hash against its leaf and its seq; return the leaf hashes."""
    hashes = []
    for entry in entries:
        hashed = b64(entry["leaf_hash"])
        if entry["leaf"] is not None:
            leaf = b64(entry["leaf"])
            if leaf_hash(leaf) != hashed:
                raise AssertionError(f"entry {entry['seq']}: leaf_hash is not SHA-256(0 || leaf)")
            if decode_record(leaf).seq != entry["seq"]:
                raise AssertionError(f"entry {entry['seq']} encodes another seq")
        hashes.append(hashed)
    return hashes

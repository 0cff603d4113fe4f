"""The read planner: a map's fields as the fewest block reads a device accepts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from appliance.drivers.modbus.regmap import MAX_BLOCK, Field
from appliance.errors import ValidationError


@dataclass(frozen=True)
class Block:
    """One read request: `count` registers of `kind` from `address`."""

    kind: str
    address: int
    count: int

    @property
    def end(self) -> int:
        """The last register address the block covers."""
        return self.address + self.count - 1


def _spans(fields: Iterable[Field]) -> list[tuple[str, int, int]]:
    spans = set()
    for item in fields:
        spans.add((item.kind, item.address, item.address + item.words - 1))
        if item.high_address is not None:
            spans.add((item.kind, item.high_address, item.high_address))
    return sorted(spans)


def plan(fields: Iterable[Field], *, max_count: int = MAX_BLOCK, max_gap: int | None = None) -> tuple[Block, ...]:
    """Cover every field with as few blocks as possible: each at most `max_count` registers,
    merging neighbours across gaps of at most `max_gap` unused registers (None: any gap)."""
    if not 1 <= max_count <= MAX_BLOCK:
        raise ValidationError(f"max_count must be 1..{MAX_BLOCK}, not {max_count}")
    blocks: list[Block] = []
    for kind, start, end in _spans(fields):
        if end - start + 1 > max_count:
            raise ValidationError(f"a field at {start} needs {end - start + 1} registers, over the limit {max_count}")
        last = blocks[-1] if blocks else None
        # Greedy left-to-right extension is optimal for covering sorted spans with bounded blocks;
        # a value is never split, so every 32-bit or string field arrives in one answer.
        if (last is not None and last.kind == kind and (max_gap is None or start - last.end - 1 <= max_gap)
                and max(end, last.end) - last.address + 1 <= max_count):
            blocks[-1] = Block(kind, last.address, max(end, last.end) - last.address + 1)
        else:
            blocks.append(Block(kind, start, end - start + 1))
    return tuple(blocks)

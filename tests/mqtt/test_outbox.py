"""The bounded outbox: state messages drop oldest first and are counted; retained ones are never dropped."""

from __future__ import annotations

from appliance.mqtt.outbox import Message, Outbox


def test_a_full_queue_drops_the_oldest_state_messages_and_counts_them():
    box = Outbox(3)
    for n in range(5):
        box.state(Message("base/dev/state", str(n).encode()))
    assert box.dropped == 2
    assert [box.take().payload for _ in range(3)] == [b"2", b"3", b"4"]
    assert box.take() is None


def test_retained_configs_are_never_dropped_and_go_first_newest_per_topic():
    box = Outbox(2)
    for n in range(50):
        box.retain(Message(f"ha/sensor/n/{n}/config", b"{}", retain=True))
    box.retain(Message("ha/sensor/n/0/config", b"newer", retain=True))
    for n in range(10):
        box.state(Message("s", str(n).encode()))
    assert box.dropped == 8  # only state messages were dropped
    taken = [box.take() for _ in range(52)]
    assert all(m.retain for m in taken[:50]) and len({m.topic for m in taken[:50]}) == 50
    assert taken[49].payload == b"newer"  # the newer config replaced the first, in its new place
    assert [m.payload for m in taken[50:52]] == [b"8", b"9"]


def test_a_message_put_back_goes_first_again_unless_a_newer_config_came():
    box = Outbox(5)
    box.state(Message("s", b"1"))
    box.state(Message("s", b"2"))
    first = box.take()
    box.put_back(first)
    assert box.take().payload == b"1"
    config = Message("c", b"old", retain=True)
    box.retain(config)
    taken = box.take()
    box.retain(Message("c", b"new", retain=True))
    box.put_back(taken)
    assert box.take().payload == b"new"

"""Finding devices: USB serial (pyudev), BLE (bleak), Modbus TCP probing; the 4-phase process."""

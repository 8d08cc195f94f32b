"""An independent Modbus slave (pymodbus, Debian package python3-pymodbus) for the adapter's peer tests.

usage: /usr/bin/python3 pymodbus_slave.py tcp <port>
       /usr/bin/python3 pymodbus_slave.py rtu <serial device> <baud>

Unit 1 holds (0-based protocol addresses):
  holding 0-1   float32 10.0, big-endian ABCD         0x4120 0x0000
  holding 2-3   float32 -2.5, word swapped CDAB       0x0000 0xC020
  holding 4     int16 -300                            0xFED4
  holding 5-6   uint32 305419896 (0x12345678) ABCD
  holding 7     status word with bits 0 and 3 set     0x0009
  holding 10-13 int64 -2 ABCD
  input 0       12 mA on 6400-32000 counts            19200
  discrete 0-1  1, 0
  coil 0-1      0, 1
Reads outside these blocks get exception 2 (illegal data address) from pymodbus itself.
"""
import asyncio
import sys

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
from pymodbus.server import StartAsyncSerialServer, StartAsyncTcpServer
from pymodbus.transaction import ModbusRtuFramer

holding = [0x4120, 0x0000, 0x0000, 0xC020, 0xFED4, 0x1234, 0x5678, 0x0009, 0, 0, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFE]
slave = ModbusSlaveContext(
    hr=ModbusSequentialDataBlock(0, holding),
    ir=ModbusSequentialDataBlock(0, [19200]),
    di=ModbusSequentialDataBlock(0, [1, 0]),
    co=ModbusSequentialDataBlock(0, [0, 1]),
    zero_mode=True,
)
context = ModbusServerContext(slaves={1: slave}, single=False)


async def main() -> None:
    if sys.argv[1] == "tcp":
        await StartAsyncTcpServer(context, address=("127.0.0.1", int(sys.argv[2])))
    else:
        await StartAsyncSerialServer(context, framer=ModbusRtuFramer, port=sys.argv[2], baudrate=int(sys.argv[3]), timeout=0.05)


asyncio.run(main())

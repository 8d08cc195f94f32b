import modbusSerial from 'modbus-serial';

/**
 * modbus-serial is CommonJS and declares `export default` in its types; under NodeNext the default
 * import is module.exports, whose `default` property is the client class. One place for that interop.
 */
export const ModbusClient = modbusSerial.default;
export type ModbusClient = InstanceType<typeof modbusSerial.default>;
export const ModbusServerTCP = modbusSerial.ServerTCP;
export type ModbusServerTCP = InstanceType<typeof modbusSerial.ServerTCP>;

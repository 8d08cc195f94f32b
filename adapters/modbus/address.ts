export const MODBUS_TABLES = ['coil', 'discrete', 'input', 'holding'] as const;
export type ModbusTable = (typeof MODBUS_TABLES)[number];

/**
 * The "Modicon" reference notation printed in most device manuals: the first digit names the table
 * and the rest is a 1-based register number. 5 digits (40001–49999) or 6 digits (400001–465536),
 * optionally written with an x (4x0001, 4x00001), optionally with ".bit" for a bit inside a register
 * (40001.3). 0xxxxx coils, 1xxxxx discrete inputs, 3xxxxx input registers, 4xxxxx holding registers.
 */
const NOTATION_RE = /^([0134])[xX]?(\d{4,5})(?:\.(\d{1,2}))?$/;

const TABLE_BY_DIGIT: Record<string, ModbusTable> = { '0': 'coil', '1': 'discrete', '3': 'input', '4': 'holding' };

export interface ParsedNotation {
  table: ModbusTable;
  /** 0-based protocol address. */
  address: number;
  bit?: number;
}

/** Parses "40001", "400001", "4x0001", "30010.3"; returns a message on error. */
export function parseAddressNotation(text: string): ParsedNotation | { error: string } {
  const m = NOTATION_RE.exec(text.trim());
  if (!m) {
    return { error: `"${text}" is not a Modbus reference: write 40001…49999 or 400001…465536 (first digit 0 coil, 1 discrete input, 3 input register, 4 holding register), optionally ".bit", or give table and a numeric address` };
  }
  const table = TABLE_BY_DIGIT[m[1]!]!;
  const register = Number(m[2]);
  if (register < 1 || register > 65536) return { error: `"${text}": register number ${register} is outside 1…65536` };
  const out: ParsedNotation = { table, address: register - 1 };
  if (m[3] !== undefined) {
    const bit = Number(m[3]);
    if (table === 'coil' || table === 'discrete') return { error: `"${text}": a bit number only applies to input or holding registers` };
    if (bit > 15) return { error: `"${text}": bit ${bit} is outside 0…15` };
    out.bit = bit;
  }
  return out;
}

/** The reference a manual would print for a 0-based address, for messages and the plan listing. */
export function formatReference(table: ModbusTable, address: number): string {
  const digit = { coil: '0', discrete: '1', input: '3', holding: '4' }[table];
  return `${digit}${String(address + 1).padStart(5, '0')}`;
}

import { describe, expect, it } from 'vitest';
import { compileCondition, compileNumeric, conditionProblem, ExpressionError } from '../../../rules/expression/index.js';

const values = (v: Record<string, number | boolean | null>) => (id: string) => (id in v ? v[id] : undefined);

describe('expression language: parsing and evaluation', () => {
  it('evaluates the relief-valve condition of a blast furnace with dotted point ids', () => {
    const e = compileCondition('bf1.top_pressure > bf1.relief_set and not bf1.relief_valve_open');
    expect(e.points).toEqual(['bf1.top_pressure', 'bf1.relief_set', 'bf1.relief_valve_open']);
    expect(e.evaluate(values({ 'bf1.top_pressure': 250, 'bf1.relief_set': 240, 'bf1.relief_valve_open': false }))).toBe(true);
    expect(e.evaluate(values({ 'bf1.top_pressure': 250, 'bf1.relief_set': 240, 'bf1.relief_valve_open': true }))).toBe(false);
    expect(e.evaluate(values({ 'bf1.top_pressure': 230, 'bf1.relief_set': 240, 'bf1.relief_valve_open': false }))).toBe(false);
  });

  it('keeps "-" a minus sign and reads ids with "-" or a leading digit in ${…}', () => {
    const e = compileNumeric('${bof-1.water_in}-${bof-1.water_out} - 2');
    expect(e.points).toEqual(['bof-1.water_in', 'bof-1.water_out']);
    expect(e.evaluateNumber(values({ 'bof-1.water_in': 100, 'bof-1.water_out': 90 }))).toBe(8);
    expect(compileNumeric('a-b').evaluateNumber(values({ a: 5, b: 7 }))).toBe(-2);
    expect(compileNumeric('${1bf.x} * 2').evaluateNumber(values({ '1bf.x': 4 }))).toBe(8);
  });

  it('follows the usual precedence: * before +, comparison before and, and before or', () => {
    expect(compileNumeric('2 + 3 * 4').evaluateNumber(values({}))).toBe(14);
    expect(compileNumeric('(2 + 3) * 4').evaluateNumber(values({}))).toBe(20);
    expect(compileNumeric('-2 * -3').evaluateNumber(values({}))).toBe(6);
    expect(compileCondition('true or false and false').evaluate(values({}))).toBe(true);
    expect(compileCondition('(true or false) and false').evaluate(values({}))).toBe(false);
    expect(compileCondition('a > 1 && b < 2 || !c').evaluate(values({ a: 0, b: 5, c: false }))).toBe(true);
    expect(compileCondition('1.5e2 == 150').evaluate(values({}))).toBe(true);
  });

  it('has abs, min and max', () => {
    expect(compileCondition('abs(a - b) > 5').evaluate(values({ a: 10, b: 20 }))).toBe(true);
    expect(compileNumeric('min(a, b, 3)').evaluateNumber(values({ a: 10, b: 20 }))).toBe(3);
    expect(compileNumeric('max(a, b)').evaluateNumber(values({ a: 10, b: 20 }))).toBe(20);
  });

  it('reads PLC bits given as 0/1 numbers or true/false alike', () => {
    const e = compileCondition('running and not valve_open');
    expect(e.evaluate(values({ running: 1, valve_open: 0 }))).toBe(true);
    expect(e.evaluate(values({ running: true, valve_open: true }))).toBe(false);
    expect(compileCondition('valve == true').evaluate(values({ valve: 1 }))).toBe(true);
    expect(compileCondition('mode == 3').evaluate(values({ mode: 3 }))).toBe(true);
  });

  it('is unknown (undefined) when any point is missing, Bad (null) or the arithmetic has no value', () => {
    const e = compileCondition('a > 1 or b');
    expect(e.evaluate(values({ a: 5 }))).toBeUndefined();
    expect(e.evaluate(values({ a: 5, b: null }))).toBeUndefined();
    expect(compileCondition('a / b > 3').evaluate(values({ a: 5, b: 0 }))).toBeUndefined();
    expect(compileCondition('a / b > 3').evaluate(values({ a: 9, b: 2 }))).toBe(true);
  });

  it('reports syntax errors with the column', () => {
    expect(conditionProblem('a > 1 and )')).toBe('unexpected token ")" at column 11');
    expect(conditionProblem('(a > 1')).toBe('expected ")" to close "(" at column 1, found end of expression at column 7');
    expect(conditionProblem('a > ')).toBe('unexpected end of expression at column 5');
    expect(conditionProblem('a = 1')).toBe('unexpected character "=" (use == to compare) at column 3');
    expect(conditionProblem('a & b')).toBe('unexpected character "&" (use && or and/or) at column 3');
    expect(conditionProblem('a > 3s')).toBe('invalid number "3s" (point ids starting with a digit are written ${…}) at column 5');
    expect(conditionProblem('a < b < c')).toBe('comparisons cannot be chained; write "a < b and b < c" at column 7');
    expect(conditionProblem('sqrt(a) > 1')).toBe('unknown function "sqrt" (available: abs, min, max) at column 1');
    expect(conditionProblem('a b')).toBe('unexpected token "b" at column 3');
    expect(conditionProblem('$a > 1')).toBe('a point reference is written ${point.id} at column 1');
    expect(conditionProblem('')).toBe('empty expression at column 1');
  });

  it('reports type errors and non-conditions as config errors', () => {
    expect(conditionProblem('1 + true > 0')).toBe('"+" needs a number, got a true/false value at column 5');
    expect(conditionProblem('a > 1 and 2')).toBe('"and" needs a true/false value, got a number at column 11');
    expect(conditionProblem('a + 1')).toBe('the expression must be a condition (true/false), but it gives a number at column 1');
    expect(conditionProblem('abs(a, b) > 1')).toBe('abs() takes one argument, got 2 at column 1');
    expect(conditionProblem('max(a) > 1')).toBe('max() takes two or more arguments, got 1 at column 1');
    expect(conditionProblem('true == 1')).toBe('"==" compares a true/false value with a number at column 6');
    expect(() => compileCondition('a >')).toThrow(ExpressionError);
  });

  it('never runs JavaScript from the config', () => {
    expect(conditionProblem('process.exit(1)')).toBe('unknown function "process.exit" (available: abs, min, max) at column 1');
    expect(conditionProblem('a; b')).toBe('unexpected character ";" at column 2');
    expect(conditionProblem("constructor['x']")).toBe('unexpected character "[" at column 12');
  });
});

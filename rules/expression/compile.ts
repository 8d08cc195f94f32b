import { ExpressionError } from './lexer.js';
import { parse, type Node } from './parser.js';

export type Value = number | boolean;

/**
 * Static types. A point's type is only known at run time (a PLC bit may arrive as true/false or as
 * 0/1 from a holding register), so `point` fits both: as a number, true/false count as 1/0; as a
 * condition, a number counts as true when it is not 0 (the same reading discrete rules use).
 */
type Type = 'number' | 'boolean' | 'point';

/** Current value of a point, or undefined when it is Bad, missing or not usable. */
export type Lookup = (pointId: string) => Value | null | undefined;

export interface CompiledExpression {
  readonly source: string;
  /** Point ids the expression reads, in order of first use. */
  readonly points: readonly string[];
  /**
   * The condition, or undefined ("unknown": neither raise nor clear) when any point it reads is Bad
   * or missing, or when arithmetic has no finite result (division by zero).
   */
  evaluate(lookup: Lookup): boolean | undefined;
  /** Same, for expressions used as a number. */
  evaluateNumber(lookup: Lookup): number | undefined;
}

/** Sentinel thrown inside an evaluation that has no defined result (unknown input, x / 0). */
class UnknownValue extends Error {}
/** One instance, allocated once: throwing it costs no stack capture on the hot path. */
const UNKNOWN = new UnknownValue('expression value unknown');

type Eval = (get: (id: string) => Value) => Value;

const toNum = (v: Value): number => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
const toBool = (v: Value): boolean => (typeof v === 'number' ? v !== 0 : v);

const TYPE_NAME: Record<Type, string> = { number: 'a number', boolean: 'a true/false value', point: 'a point' };

function check(node: Node, want: 'number' | 'boolean', got: Type, what: string): void {
  if (got !== 'point' && got !== want) {
    throw new ExpressionError(`${what} needs ${TYPE_NAME[want]}, got ${TYPE_NAME[got]}`, node.column);
  }
}

function build(node: Node, refs: Set<string>): { type: Type; run: Eval } {
  switch (node.k) {
    case 'num':
      return { type: 'number', run: () => node.value };
    case 'bool':
      return { type: 'boolean', run: () => node.value };
    case 'ref':
      refs.add(node.id);
      return { type: 'point', run: (get) => get(node.id) };
    case 'neg': {
      const e = build(node.operand, refs);
      check(node.operand, 'number', e.type, '"-"');
      return { type: 'number', run: (get) => -toNum(e.run(get)) };
    }
    case 'not': {
      const e = build(node.operand, refs);
      check(node.operand, 'boolean', e.type, '"not"');
      return { type: 'boolean', run: (get) => !toBool(e.run(get)) };
    }
    case 'call': {
      const args = node.args.map((a) => build(a, refs));
      args.forEach((a, i) => check(node.args[i]!, 'number', a.type, `${node.fn}()`));
      if (node.fn === 'abs') {
        if (args.length !== 1) throw new ExpressionError(`abs() takes one argument, got ${args.length}`, node.column);
        const a = args[0]!;
        return { type: 'number', run: (get) => Math.abs(toNum(a.run(get))) };
      }
      if (args.length < 2) throw new ExpressionError(`${node.fn}() takes two or more arguments, got ${args.length}`, node.column);
      const f = node.fn === 'min' ? Math.min : Math.max;
      return { type: 'number', run: (get) => f(...args.map((a) => toNum(a.run(get)))) };
    }
    case 'bin': {
      const l = build(node.left, refs);
      const r = build(node.right, refs);
      const op = node.op;
      if (op === 'and' || op === 'or') {
        check(node.left, 'boolean', l.type, `"${op}"`);
        check(node.right, 'boolean', r.type, `"${op}"`);
        return op === 'and'
          ? { type: 'boolean', run: (get) => toBool(l.run(get)) && toBool(r.run(get)) }
          : { type: 'boolean', run: (get) => toBool(l.run(get)) || toBool(r.run(get)) };
      }
      if (op === '==' || op === '!=') {
        if (l.type !== 'point' && r.type !== 'point' && l.type !== r.type) {
          throw new ExpressionError(`"${op}" compares ${TYPE_NAME[l.type]} with ${TYPE_NAME[r.type]}`, node.column);
        }
        // A point compared with true/false is read as a condition, otherwise as a number.
        const asBool = l.type === 'boolean' || r.type === 'boolean';
        const eq = (get: (id: string) => Value): boolean => {
          const a = l.run(get);
          const b = r.run(get);
          if (asBool) return toBool(a) === toBool(b);
          if (typeof a === typeof b) return a === b;
          return toNum(a) === toNum(b);
        };
        return { type: 'boolean', run: op === '==' ? eq : (get) => !eq(get) };
      }
      check(node.left, 'number', l.type, `"${op}"`);
      check(node.right, 'number', r.type, `"${op}"`);
      const num = (get: (id: string) => Value): [number, number] => [toNum(l.run(get)), toNum(r.run(get))];
      switch (op) {
        case '+':
          return { type: 'number', run: (g) => { const [a, b] = num(g); return a + b; } };
        case '-':
          return { type: 'number', run: (g) => { const [a, b] = num(g); return a - b; } };
        case '*':
          return { type: 'number', run: (g) => { const [a, b] = num(g); return a * b; } };
        case '/':
          return {
            type: 'number',
            run: (g) => {
              const [a, b] = num(g);
              // x / 0 is unknown, not Infinity: "ratio > 3" must not raise because a flow read 0.
              if (b === 0) throw UNKNOWN;
              return a / b;
            },
          };
        case '<':
          return { type: 'boolean', run: (g) => { const [a, b] = num(g); return a < b; } };
        case '<=':
          return { type: 'boolean', run: (g) => { const [a, b] = num(g); return a <= b; } };
        case '>':
          return { type: 'boolean', run: (g) => { const [a, b] = num(g); return a > b; } };
        case '>=':
          return { type: 'boolean', run: (g) => { const [a, b] = num(g); return a >= b; } };
      }
    }
  }
}

function compileAs(source: string, want: 'number' | 'boolean'): CompiledExpression {
  const root = parse(source);
  const refs = new Set<string>();
  const { type, run } = build(root, refs);
  if (type !== 'point' && type !== want) {
    throw new ExpressionError(
      want === 'boolean' ? `the expression must be a condition (true/false), but it gives ${TYPE_NAME[type]}` : `the expression must give a number, but it gives ${TYPE_NAME[type]}`,
      1,
    );
  }
  const points = [...refs];
  const evalRaw = (lookup: Lookup): Value | undefined => {
    for (const p of points) {
      const v = lookup(p);
      if (v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) return undefined;
    }
    try {
      return run((id) => {
        const v = lookup(id);
        if (v === undefined || v === null) throw UNKNOWN; // lookup changed between checks; stay safe
        return v;
      });
    } catch (e) {
      if (e === UNKNOWN) return undefined;
      throw e;
    }
  };
  return {
    source,
    points,
    evaluate(lookup) {
      const v = evalRaw(lookup);
      if (v === undefined) return undefined;
      if (typeof v === 'number' && !Number.isFinite(v)) return undefined;
      return toBool(v);
    },
    evaluateNumber(lookup) {
      const v = evalRaw(lookup);
      if (v === undefined) return undefined;
      const n = toNum(v);
      return Number.isFinite(n) ? n : undefined;
    },
  };
}

/**
 * Compiles a condition once into a closure; never uses eval. Throws ExpressionError (with column)
 * for syntax errors, unknown functions and type errors.
 */
export function compileCondition(source: string): CompiledExpression {
  return compileAs(source, 'boolean');
}

export function compileNumeric(source: string): CompiledExpression {
  return compileAs(source, 'number');
}

/** The message of a compile error, or undefined when the expression is valid. */
export function conditionProblem(source: string): string | undefined {
  try {
    compileCondition(source);
    return undefined;
  } catch (e) {
    if (e instanceof ExpressionError) return e.message;
    throw e;
  }
}

/** Point ids a condition reads; [] when it does not compile (the schema reports that). */
export function conditionPoints(source: string): string[] {
  try {
    return [...compileCondition(source).points];
  } catch (e) {
    if (e instanceof ExpressionError) return [];
    throw e;
  }
}

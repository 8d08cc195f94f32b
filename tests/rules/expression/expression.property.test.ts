import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileCondition, compileNumeric, conditionProblem } from '../../../rules/expression/index.js';

// Random arithmetic over three points, printed fully parenthesised or with minimal spacing, and the
// same tree evaluated directly: the parser must agree with plain arithmetic.
type Tree = { n: number } | { p: 'a' | 'b' | 'c' } | { op: '+' | '-' | '*'; l: Tree; r: Tree } | { neg: Tree };

const tree: fc.Arbitrary<Tree> = fc.letrec<{ t: Tree }>((tie) => ({
  t: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.integer({ min: 0, max: 50 }).map((n) => ({ n })),
    fc.constantFrom<'a' | 'b' | 'c'>('a', 'b', 'c').map((p) => ({ p })),
    fc.record({ op: fc.constantFrom<'+' | '-' | '*'>('+', '-', '*'), l: tie('t'), r: tie('t') }),
    tie('t').map((t) => ({ neg: t })),
  ),
})).t;

function evalTree(t: Tree, env: Record<string, number>): number {
  if ('n' in t) return t.n;
  if ('p' in t) return env[t.p]!;
  if ('neg' in t) return -evalTree(t.neg, env);
  const l = evalTree(t.l, env);
  const r = evalTree(t.r, env);
  return t.op === '+' ? l + r : t.op === '-' ? l - r : l * r;
}

function print(t: Tree): string {
  if ('n' in t) return String(t.n);
  if ('p' in t) return t.p;
  if ('neg' in t) return `-(${print(t.neg)})`;
  return `(${print(t.l)}${t.op}${print(t.r)})`; // no spaces: "a-b" must stay a subtraction
}

describe('expression language properties', () => {
  it('evaluates random arithmetic exactly like the arithmetic it spells', () => {
    fc.assert(
      fc.property(tree, fc.integer({ min: -100, max: 100 }), fc.integer({ min: -100, max: 100 }), fc.integer({ min: -100, max: 100 }), (t, a, b, c) => {
        const env = { a, b, c };
        const got = compileNumeric(print(t)).evaluateNumber((id) => env[id as 'a' | 'b' | 'c']);
        expect(got! + 0).toBe(evalTree(t, env) + 0); // + 0 folds -0 into 0 on both sides
      }),
      { numRuns: 300 },
    );
  });

  it('never throws anything but a config error, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (src) => {
        const problem = conditionProblem(src);
        expect(problem === undefined || / at column \d+$/.test(problem)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('points at a column inside the text (or just past its end)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-c0-9 ()+\-*/<>=!&|.]{1,20}$/), (src) => {
        const problem = conditionProblem(src);
        if (problem === undefined) return;
        const col = Number(/ at column (\d+)$/.exec(problem)![1]);
        expect(col).toBeGreaterThanOrEqual(1);
        expect(col).toBeLessThanOrEqual(src.length + 1);
      }),
      { numRuns: 1000 },
    );
  });

  it('is unknown whenever one of its points is unknown', () => {
    fc.assert(
      fc.property(tree, fc.constantFrom('a', 'b', 'c'), (t, missing) => {
        const e = compileCondition(`${print(t)} > 0 or true`);
        if (!e.points.includes(missing)) return;
        expect(e.evaluate((id) => (id === missing ? undefined : 1))).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });
});

export { ExpressionError } from './lexer.js';
export { compileCondition, compileNumeric, conditionProblem, conditionPoints, type CompiledExpression, type Lookup, type Value } from './compile.js';

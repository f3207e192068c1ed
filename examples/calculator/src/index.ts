export { createCalculatorServer } from './calculator.ts';

// What an op's record says about its tests: the inputs its formula is defined on, and the tests it
// is exempt from, each with the reason (test/helpers/op-table.ts enrols every record in the rest).

/**
 * Where the tests draw inputs from: 'any' real number (the default), 'positive', 'unit' (-1, 1),
 * 'probability' (0, 1), 'above1' (> 1), 'nonzero' (|x| ≥ 0.5, for divisors).
 */
export type Domain = 'any' | 'positive' | 'unit' | 'probability' | 'above1' | 'nonzero';

export interface TestSpec {
  /** the domain of each operand (one for all when a single value) */
  domain?: Domain | readonly Domain[];
  /** tests this op is left out of, each with the reason */
  exempt?: Partial<Record<'gradcheck' | 'gradgradcheck' | 'fixtures', string>>;
}

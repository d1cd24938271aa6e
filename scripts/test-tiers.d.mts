/** Types of scripts/test-tiers.mjs, for the tests that import it. */
export declare function findTests(dir: string): string[];
export declare function tierOf(file: string): 'unit' | 'integration' | 'e2e';

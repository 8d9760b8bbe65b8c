/**
 * The small part of jStat (https://github.com/jstat/jstat, CommonJS, no bundled types) that
 * saelab uses. Import it as a default export: `import jStat from 'jstat'`.
 */
declare module 'jstat' {
  interface ContinuousDistribution<Params extends number[]> {
    /** Probability density at x. */
    pdf(x: number, ...params: Params): number;
    /** P(X <= x). */
    cdf(x: number, ...params: Params): number;
    /** The quantile: x with P(X <= x) = p. */
    inv(p: number, ...params: Params): number;
  }

  interface JStat {
    /** Normal distribution with (mean, std). */
    normal: ContinuousDistribution<[mean: number, std: number]>;
    /** Student's t distribution with dof degrees of freedom (real dof allowed). */
    studentt: ContinuousDistribution<[dof: number]>;
    /** Regularized incomplete beta function I_x(a, b). */
    ibeta(x: number, a: number, b: number): number;
  }

  const jStat: JStat;
  export default jStat;
}

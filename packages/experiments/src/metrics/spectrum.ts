/**
 * How many dimensions the activations really use: the eigenvalues of their covariance (PCA), the
 * number of principal components that hold 90%, 99% and 99.9% of the variance, and the
 * participation ratio (sum lambda)^2 / sum lambda^2, a smooth count of the dimensions in use.
 *
 * Why the study needs it: a TopK SAE keeps k latents per sample. Where the activations span fewer
 * than k dimensions, the k decoder directions a sample uses, projected onto that span, can reproduce
 * it whatever the directions are, so near-perfect reconstruction does not require the decoder to
 * learn anything, and PWMCC between seeds has nothing to agree on.
 *
 * The eigen-decomposition is ml-matrix's (a symmetric tridiagonal QL solver); the covariance is
 * accumulated here in float64.
 */
import { EigenvalueDecomposition, Matrix as MlMatrix } from 'ml-matrix';

export interface Spectrum {
  /** Covariance eigenvalues, largest first (unbiased: divided by count - 1). */
  eigenvalues: number[];
  /** Principal components needed for 90%, 99% and 99.9% of the total variance. */
  componentsFor: { '0.9': number; '0.99': number; '0.999': number };
  participationRatio: number;
}

/** Principal directions of the activations: covariance eigenvalues and unit eigenvectors, largest first. */
export interface PrincipalAxes {
  eigenvalues: number[];
  /** Row-major [dim, dim]: row i is the i-th principal direction (unit norm). */
  directions: Float64Array;
  dim: number;
}

/** PCA of `count` rows of `dim` values (row-major): eigenvalues and directions, largest first. */
export function principalAxes(data: Float32Array, count: number, dim: number): PrincipalAxes {
  if (count < 2) throw new Error(`activationSpectrum: needs at least 2 rows, got ${count}`);
  if (data.length !== count * dim) {
    throw new Error(`activationSpectrum: ${data.length} values are not ${count} rows of ${dim}`);
  }
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) for (let i = 0; i < dim; i++) mean[i]! += data[r * dim + i]!;
  for (let i = 0; i < dim; i++) mean[i]! /= count;
  // Upper triangle of the scatter matrix, one centred row at a time.
  const scatter = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    for (let i = 0; i < dim; i++) row[i] = data[r * dim + i]! - mean[i]!;
    for (let i = 0; i < dim; i++) {
      const ri = row[i]!;
      if (ri === 0) continue;
      const base = i * dim;
      for (let j = i; j < dim; j++) scatter[base + j]! += ri * row[j]!;
    }
  }
  const cov = MlMatrix.zeros(dim, dim);
  for (let i = 0; i < dim; i++) {
    for (let j = i; j < dim; j++) {
      const v = scatter[i * dim + j]! / (count - 1);
      cov.set(i, j, v);
      cov.set(j, i, v);
    }
  }
  const evd = new EigenvalueDecomposition(cov, { assumeSymmetric: true });
  // rounding can leave tiny negatives on a singular covariance
  const values = evd.realEigenvalues.map((v) => Math.max(v, 0));
  const order = values.map((_, i) => i).sort((a, b) => values[b]! - values[a]!);
  const vectors = evd.eigenvectorMatrix; // column j is the eigenvector of realEigenvalues[j]
  const directions = new Float64Array(dim * dim);
  order.forEach((j, i) => { for (let c = 0; c < dim; c++) directions[i * dim + c] = vectors.get(c, j); });
  return { eigenvalues: order.map((j) => values[j]!), directions, dim };
}

/** Principal components needed for `fraction` of the total variance (eigenvalues largest first). */
export function componentsFor(eigenvalues: readonly number[], fraction: number): number {
  const total = eigenvalues.reduce((s, v) => s + v, 0);
  let acc = 0;
  for (let i = 0; i < eigenvalues.length; i++) {
    acc += eigenvalues[i]!;
    if (acc >= fraction * total) return i + 1;
  }
  return eigenvalues.length;
}

/** The PCA spectrum of `count` rows of `dim` values (row-major). */
export function activationSpectrum(data: Float32Array, count: number, dim: number): Spectrum {
  return spectrumOf(principalAxes(data, count, dim).eigenvalues);
}

/** The spectrum's summary of eigenvalues (largest first). */
export function spectrumOf(eigenvalues: number[]): Spectrum {
  const total = eigenvalues.reduce((s, v) => s + v, 0);
  const squares = eigenvalues.reduce((s, v) => s + v * v, 0);
  return {
    eigenvalues,
    componentsFor: { '0.9': componentsFor(eigenvalues, 0.9), '0.99': componentsFor(eigenvalues, 0.99),
      '0.999': componentsFor(eigenvalues, 0.999) },
    participationRatio: total === 0 ? 0 : (total * total) / squares,
  };
}

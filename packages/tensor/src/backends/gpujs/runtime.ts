/**
 * What every gpujs kernel family stands on: the gpu.js instance and the mode it really runs in,
 * the storage a tensor lives in, and `run`, which compiles a kernel once per shape and calls it.
 *
 * Kernels are pipeline kernels: their output stays a texture on the GPU, and the next kernel
 * reads it as an input, so a training step never passes through host memory. Only `toHost`
 * reads a texture back. In the WebAssembly and CPU modes gpu.js has no textures and outputs are
 * Float32Arrays; the kernels do not notice the difference.
 *
 * Nothing here loads a Node-only module, so that browsers run the same code on WebGL; only the
 * explanation of a missing HeadlessGL context (whyNoHeadlessGl) imports one, in Node.
 */
import {
  CPUKernel, GPU, HeadlessGLKernel, WebAssemblyKernel, WebGL2Kernel, WebGLKernel, type IKernelRunShortcut, type Texture,
} from 'gpu.js';
import { GPU_FUNCTIONS } from './functions.js';
import { glRenderer } from './renderer.js';

/** The gpu.js modes, named as people say them. The first three run GLSL on a GPU. */
export type GpujsMode = 'HeadlessGL' | 'WebGL2' | 'WebGL' | 'WebAssembly' | 'CPU';

const KERNEL_CLASSES: [GpujsMode, unknown][] = [
  ['HeadlessGL', HeadlessGLKernel], ['WebGL2', WebGL2Kernel], ['WebGL', WebGLKernel],
  ['WebAssembly', WebAssemblyKernel], ['CPU', CPUKernel],
];

/** What SAELAB_GPUJS_MODE may say: 'gpu' means any GL mode and fails without one; the rest force a mode. */
const REQUESTS: Record<string, string | undefined> = {
  auto: undefined, gpu: 'gpu', headlessgl: 'headlessgl', webgl2: 'webgl2', webgl: 'webgl', webasm: 'webasm',
  wasm: 'webasm', cpu: 'cpu',
};

/** Live texture memory past which the backend warns, once, that textures are not being freed. */
const WARN_BYTES = 2 ** 30;

/** Tensors with more elements cannot be indexed exactly: shaders index with float32, exact to 2^24. */
export const MAX_ELEMENTS = 2 ** 24;

/**
 * A tensor's data on this backend: a texture in the GL modes, a Float32Array otherwise, or
 * nothing for an empty tensor. `data` is replaced (never written) when Adam updates in place.
 */
export class GpuStorage {
  constructor(
    public data: Texture | Float32Array | null,
    readonly size: number,
    /** The values, where they were uploaded from the host (until changed in place): for checking index tensors. */
    public uploaded: Float32Array | null = null,
  ) {}

  /**
   * An ArrayBuffer as large as the texture, never touched. The garbage collector, which frees
   * textures by collecting their storages, sees only this small object and would seldom run for
   * it; the buffer makes the texture's size count. It costs address space, not memory: the
   * operating system does not commit pages that are never written.
   */
  weight: ArrayBuffer | null = null;
}

/** One kernel to compile (once per distinct source, size, constants and input sizes) and run. */
export interface KernelSpec {
  /** The kernel, in the JavaScript subset gpu.js compiles (see functions.ts for why it is text). */
  source: string;
  /** Number of outputs; thread `this.thread.x` computes output element x. */
  size: number;
  /** Compile-time numbers: sizes, strides, op codes. Shaders are specialised to them. */
  constants?: Record<string, number>;
}

export type KernelArg = GpuStorage | number;

/** The mode gpu.js runs in: 'gpu' (any GL) or a named mode, failing clearly when it is not available. */
function createGpu(request: string | undefined): { gpu: GPU; mode: GpujsMode } {
  const wanted = REQUESTS[(request ?? 'auto').toLowerCase()];
  if (request && !(request.toLowerCase() in REQUESTS)) {
    throw new Error(`SAELAB_GPUJS_MODE '${request}' is not a mode: choose one of ${Object.keys(REQUESTS).join(', ')}`);
  }
  const gpu = new GPU(wanted === undefined || wanted === 'gpu' ? {} : { mode: wanted as 'cpu' });
  const mode = KERNEL_CLASSES.find(([, K]) => gpu.Kernel === K)?.[0];
  if (!mode) throw new Error(`gpujs: gpu.js chose a kernel type this backend does not know (${gpu.Kernel?.name})`);
  if (wanted === 'gpu' && !isGlMode(mode)) throw new NoGpuError(mode);
  return { gpu, mode };
}

/** True for the modes that run GLSL on a GPU (or a software one standing in for it). */
export function isGlMode(mode: GpujsMode): boolean {
  return mode === 'HeadlessGL' || mode === 'WebGL2' || mode === 'WebGL';
}

/** SAELAB_GPUJS_MODE=gpu, and gpu.js found no WebGL context. */
export class NoGpuError extends Error {
  constructor(readonly fallback: GpujsMode, why = '') {
    super('SAELAB_GPUJS_MODE=gpu asks for a GPU, but gpu.js found no WebGL context and would run in '
      + `${fallback} mode${why ? `: ${why}` : ''}. Unset SAELAB_GPUJS_MODE to accept that mode.`);
  }
}

/** Why Node has no HeadlessGL context: the `gl` module (gpu.js's optional dependency) or the display. */
export async function whyNoHeadlessGl(): Promise<string> {
  if (typeof process === 'undefined' || !process.versions?.node) return 'this browser offers no WebGL';
  // A variable specifier, so that bundlers for the browser leave this Node-only import alone.
  const nodeModule = 'node:module';
  const { createRequire } = (await import(/* @vite-ignore */ nodeModule)) as typeof import('node:module');
  const fromGpujs = createRequire(createRequire(import.meta.url).resolve('gpu.js'));
  try {
    fromGpujs('gl');
  } catch (e) {
    return `the \`gl\` package does not load (${(e as Error).message.split('\n')[0]});`
      + ' on Debian: apt-get install libxi-dev pkg-config, '
      + 'then rm -rf node_modules/gl and run a fresh npm install (npm drops an optional dependency whose build failed)';
  }
  if (!process.env.DISPLAY) return '`gl` loads, but there is no display (DISPLAY is unset): run under `xvfb-run -a`';
  return `\`gl\` loads and DISPLAY is ${process.env.DISPLAY}, but it could not create a WebGL context there`;
}

/**
 * The kernels' shared settings: textures out (pipeline), a new one per call (immutable), float32, four
 * values per texel.
 */
const SETTINGS = {
  pipeline: true, immutable: true, precision: 'single', optimizeFloatMemory: true, tactic: 'precision',
  // Integer division is done exactly by idiv() (functions.ts); gpu.js's own fix-up only slows every `/`.
  fixIntegerDivisionAccuracy: false,
} as const;

export class Runtime {
  readonly gpu: GPU;
  readonly mode: GpujsMode;
  readonly isGpu: boolean;
  /** Compiled kernels: per source, per (size, constants, input sizes). */
  private readonly kernels = new Map<string, Map<string, IKernelRunShortcut>>();
  private readonly upload: KernelSpec;
  private readonly released: FinalizationRegistry<Texture>;
  /** Element counts of the live textures, for `live`. */
  private readonly sizes = new WeakMap<Texture, number>();
  /** Textures this backend made and has not yet deleted, with their element counts. */
  readonly live = { textures: 0, elements: 0 };
  private warned = false;

  constructor(request: string | undefined) {
    ({ gpu: this.gpu, mode: this.mode } = createGpu(request));
    this.isGpu = isGlMode(this.mode);
    for (const source of GPU_FUNCTIONS) this.gpu.addFunction(source as never);
    this.upload = { source: 'function (a) { return a[this.thread.x]; }', size: 0 };
    // Tensors have no dispose(): a texture is deleted once its storage is garbage collected. The
    // callbacks run between tasks, so a training loop must yield once a step (releaseMemory()).
    this.released = new FinalizationRegistry((texture) => this.deleteTexture(texture));
  }

  /** The GL renderer the shaders run on (./renderer.ts); 'none' outside the GL modes. */
  renderer(): string {
    if (!this.isGpu) return 'none';
    if (!this.gpu.context) this.fromHost([0]); // gpu.js makes its context with the first kernel
    return glRenderer(this.gpu.context as WebGLRenderingContext | null | undefined);
  }

  /** Copies host values into a new storage (one upload and one copy kernel). */
  fromHost(values: ArrayLike<number>): GpuStorage {
    const data = Float32Array.from(values);
    checkSize(data.length);
    const s = data.length === 0 ? new GpuStorage(null, 0) : this.run({ ...this.upload, size: data.length }, data);
    s.uploaded = data;
    return s;
  }

  /** Reads a storage back to the host (the only place a texture is read). */
  toHost(s: GpuStorage): Float32Array {
    if (s.data === null) return new Float32Array(0);
    if (s.data instanceof Float32Array) return s.data.slice(0, s.size);
    return (s.data.toArray() as Float32Array).slice(0, s.size);
  }

  /**
   * Runs `spec` on `args` and returns its output as a new storage. Each distinct kernel is
   * compiled on first use and cached; sizes and constants are compiled into the shader.
   */
  run(spec: KernelSpec, ...args: (KernelArg | Float32Array)[]): GpuStorage {
    checkSize(spec.size);
    if (spec.size === 0) return new GpuStorage(null, 0);
    const inputs = args.map((a) => (a instanceof GpuStorage ? this.input(a) : a));
    const kernel = this.kernel(spec, args);
    const data = kernel(...(inputs as never[])) as unknown as Texture | Float32Array;
    return this.track(new GpuStorage(data, spec.size));
  }

  /** Replaces `target`'s data with `source`'s (an in-place update, as Adam's), freeing the old texture now. */
  replace(target: GpuStorage, source: GpuStorage): void {
    const old = target.data;
    target.data = source.data;
    target.uploaded = null;
    // `source` must not free the texture it handed over when it is collected.
    source.data = null;
    this.released.unregister(source);
    this.released.unregister(target);
    if (target.data && !(target.data instanceof Float32Array)) this.released.register(target, target.data, target);
    if (old && !(old instanceof Float32Array)) this.deleteTexture(old);
  }

  /** Deletes `s`'s texture now: the engine will not read `s` again (Backend.release). */
  release(s: GpuStorage): void {
    const texture = s.data;
    s.data = null;
    s.uploaded = null;
    this.released.unregister(s);
    if (texture && !(texture instanceof Float32Array)) this.deleteTexture(texture);
  }

  /** Waits until the GPU has run every kernel queued so far (GL calls return before the work is done). */
  finish(): void {
    (this.gpu.context as WebGLRenderingContext | null)?.finish?.();
  }

  /** Deletes every kernel and texture (the gpu.js instance cannot be used afterwards). */
  dispose(): void {
    void this.gpu.destroy();
    this.kernels.clear();
  }

  private input(s: GpuStorage): Texture | Float32Array {
    if (s.data === null) {
      throw new Error('gpujs: a kernel input has no data (an empty tensor, or one released by a backward pass)');
    }
    return s.data;
  }

  private kernel(spec: KernelSpec, args: (KernelArg | Float32Array)[]): IKernelRunShortcut {
    let bySource = this.kernels.get(spec.source);
    if (!bySource) this.kernels.set(spec.source, (bySource = new Map()));
    // Texture sizes are compiled into the shader too, so inputs' sizes are part of the key.
    const sizes = args.map((a) => (a instanceof GpuStorage ? a.size : a instanceof Float32Array ? a.length : 'n'));
    const key = `${spec.size}|${JSON.stringify(spec.constants ?? {})}|${sizes.join(',')}`;
    let kernel = bySource.get(key);
    if (!kernel) {
      const mode = this.mode;
      kernel = this.gpu.createKernel(spec.source, {
        ...SETTINGS,
        output: [spec.size],
        constants: spec.constants ?? {},
        // gpu.js would quietly rerun a kernel it cannot compile on the CPU; say so instead.
        onRequestFallback: function (this: { fallbackReason: string | null }) {
          const why = this.fallbackReason ?? 'unknown reason';
          throw new Error(`gpujs: a kernel cannot run in ${mode} mode (${why}):\n${spec.source}`);
        } as never,
      });
      bySource.set(key, kernel);
    }
    return kernel;
  }

  private track(s: GpuStorage): GpuStorage {
    if (s.data && !(s.data instanceof Float32Array)) {
      s.weight = new ArrayBuffer(s.size * 4);
      this.released.register(s, s.data, s);
      this.sizes.set(s.data, s.size);
      this.live.textures++;
      this.live.elements += s.size;
      if (!this.warned && this.live.elements * 4 > WARN_BYTES) {
        this.warned = true;
        const mb = (this.live.elements * 4 / 2 ** 20).toFixed(0);
        console.warn(`gpujs: ${this.live.textures} textures (${mb} MB) are alive. Textures are freed between tasks:`
          + ' a loop that creates tensors should `await releaseMemory()` once a step.');
      }
    }
    return s;
  }

  private deleteTexture(texture: Texture): void {
    const size = this.sizes.get(texture);
    if (size === undefined) return; // deleted already
    this.sizes.delete(texture);
    this.live.textures--;
    this.live.elements -= size;
    texture.delete();
  }
}

function checkSize(size: number): void {
  if (size > MAX_ELEMENTS) {
    throw new Error(`gpujs: a tensor of ${size} elements is larger than ${MAX_ELEMENTS}, the most a float32 shader`
      + ' can index exactly; split it, or use the wasm backend');
  }
}

/**
 * Which GL renderer gpu.js's shaders run on, for a results file's environment (GpujsBackend.describe): a run on a
 * software rasterizer must be told apart from one on a GPU. Browsers name it through WEBGL_debug_renderer_info;
 * HeadlessGL in Node answers only "ANGLE" (its ANGLE hides the driver), so there the GL driver libraries the process
 * has mapped are named instead (Linux: /proc/self/maps), Mesa's swrast_dri being llvmpipe, on the CPU.
 */

/** The renderer behind a WebGL context, or 'none' without one. */
export function glRenderer(gl: WebGLRenderingContext | null | undefined): string {
  if (!gl?.getParameter) return 'none';
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  if (info) return String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL));
  const own = `${gl.getParameter(gl.RENDERER)} (${gl.getParameter(gl.VERSION)})`;
  const drivers = loadedGlDrivers();
  return drivers ? `${own} over ${drivers}` : own;
}

/** The GL driver libraries mapped into this process (Node on Linux), e.g. 'libGLX_mesa, swrast_dri (Mesa llvmpipe:
 *  software, on the CPU)'; undefined where that cannot be read. */
function loadedGlDrivers(): string | undefined {
  type Fs = { readFileSync(path: string, encoding: 'utf8'): string };
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  let maps: string;
  try {
    maps = (proc?.getBuiltinModule?.('node:fs') as Fs | undefined)?.readFileSync('/proc/self/maps', 'utf8') ?? '';
  } catch {
    return undefined;
  }
  const names = new Set<string>();
  for (const line of maps.split('\n')) {
    const file = line.split('/').pop() ?? '';
    const m = /^(lib(?:GLX|EGL)_\w+|\w+_dri|libnvidia-glcore|libgallium[\w-]*)\.so/.exec(file);
    if (m) names.add(m[1]!);
  }
  if (names.size === 0) return undefined;
  const software = [...names].some((n) => /^(swrast|kms_swrast)_dri$/.test(n));
  return [...names].sort().join(', ') + (software ? " (Mesa's llvmpipe: a software rasterizer, on the CPU)" : '');
}

#!/usr/bin/env node
// Runs a command with an X display, so that headless-gl (and with it gpu.js's HeadlessGL mode, the
// `gpujs` backend's GPU path in Node) has one to create its GL context through.
//
//   node scripts/with-display.mjs vitest run
//
// Where DISPLAY is already set, or Xvfb is not installed, the command runs as it is: the gpujs
// tests then include gpujs only where a GL context exists (see runnableBackends), unless
// SAELAB_GPUJS_MODE=gpu demands one, as CI does. Otherwise it starts its own Xvfb on a display
// number the server picks itself (-displayfd, so parallel test runs never race for one), runs the
// command with DISPLAY pointing there, and stops the server when the command ends.
import { spawn, spawnSync } from 'node:child_process';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  process.stderr.write('usage: node scripts/with-display.mjs <command> [args...]\n');
  process.exit(2);
}

const onPath = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

/** Starts Xvfb and resolves with it and the display it chose (":N"). */
function startXvfb() {
  const server = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let log = '';
  server.stdio[2].on('data', (d) => { log += d; });
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => fail('no display number within 15 s'), 15_000);
    function fail(why) {
      clearTimeout(timer);
      server.kill();
      reject(new Error(`Xvfb did not start (${why}).${log ? `\nIts output:\n${log}` : ''}`));
    }
    server.on('error', (e) => fail(e.message));
    server.on('exit', (code) => fail(`it exited with code ${code}`));
    server.stdio[3].on('data', (d) => {
      text += d;
      const m = /^(\d+)\n/.exec(text);
      if (m) {
        clearTimeout(timer);
        server.removeAllListeners('exit');
        resolve({ server, display: `:${m[1]}` });
      }
    });
  });
}

let server = null;
const env = { ...process.env };
if (!env.DISPLAY && onPath('Xvfb')) {
  try {
    const started = await startXvfb();
    server = started.server;
    env.DISPLAY = started.display;
  } catch (e) {
    process.stderr.write(`with-display: ${e.message}\nRunning without a display.\n`);
  }
}

const child = spawn(cmd, args, { stdio: 'inherit', env, shell: process.platform === 'win32' });
/** Stops our Xvfb (if any) and waits for it, so no server outlives the command. */
const stopServer = () => new Promise((resolve) => {
  if (!server || server.exitCode !== null) return resolve();
  server.once('exit', resolve);
  server.kill();
  setTimeout(() => { server.kill('SIGKILL'); resolve(); }, 2000).unref();
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { child.kill(sig); });
child.on('error', async (e) => {
  await stopServer();
  process.stderr.write(`with-display: cannot run ${cmd}: ${e.message}\n`);
  process.exit(127);
});
child.on('exit', async (code, signal) => {
  await stopServer();
  process.exit(code ?? (signal ? 128 : 1));
});

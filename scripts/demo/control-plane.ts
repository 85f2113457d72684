/**
 * The demo's control plane: `claresia-control-plane serve` on the embedded database in the
 * demo's own data dir, started in the background and left running so the tenant can be
 * explored after the demo. A second run finds it through control-plane.json and reuses it.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface RunningControlPlane {
  pid: number;
  url: string;
  operatorToken: string;
  log: string;
  reused: boolean;
}

interface Recorded {
  pid: number;
  url: string;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorded(file: string): Recorded | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Recorded;
  } catch {
    return undefined;
  }
}

export function paths(dataDir: string) {
  return {
    state: path.join(dataDir, 'control-plane.json'),
    log: path.join(dataDir, 'control-plane.log'),
    data: path.join(dataDir, 'control-plane'),
  };
}

/** Starts the control plane, or reuses the one a previous run left running. */
export async function ensureControlPlane(root: string, dataDir: string, port: string | undefined): Promise<RunningControlPlane> {
  const p = paths(dataDir);
  const token = () => readFileSync(path.join(p.data, 'operator-token'), 'utf8').trim();
  const prev = recorded(p.state);
  if (prev && alive(prev.pid) && (await ready(prev.url))) return { ...prev, operatorToken: token(), log: p.log, reused: true };

  // Keep the previous port when there is one, so URLs in the Terraform outputs stay the same.
  const wanted = port ?? (prev ? new URL(prev.url).port : '0');
  const env: NodeJS.ProcessEnv = { ...process.env, CLARESIA_DATA_DIR: p.data, PORT: wanted, HOST: '127.0.0.1', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' };
  // The demo is the embedded database and its generated secrets, whatever the shell has set.
  for (const k of ['DATABASE_URL', 'CLARESIA_OPERATOR_TOKEN', 'CLARESIA_MASTER_KEY', 'CLARESIA_PUBLIC_URL']) delete env[k];
  // A Mode A Hub is ready on the provisioner's first pass; a short pass keeps apply quick.
  env.CLARESIA_HUB_POLL_MS ??= '250';
  mkdirSync(dataDir, { recursive: true });
  const logFd = openSync(p.log, 'a');
  const offset = existsSync(p.log) ? readFileSync(p.log).length : 0;
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', path.join(root, 'control-plane/src/cli.ts'), 'serve'], {
    cwd: root,
    env,
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  child.unref();

  const deadline = Date.now() + 180_000;
  for (;;) {
    const text = readFileSync(p.log, 'utf8').slice(offset);
    const m = /listening on (http:\/\/\S+)/.exec(text);
    if (m && (await ready(m[1]!))) {
      writeFileSync(p.state, JSON.stringify({ pid: child.pid!, url: m[1]! }) + '\n');
      return { pid: child.pid!, url: m[1]!, operatorToken: token(), log: p.log, reused: false };
    }
    if (exited !== null) {
      if (/EADDRINUSE/.test(text) && wanted !== '0' && port === undefined) {
        rmSync(p.state, { force: true });
        return ensureControlPlane(root, dataDir, '0');
      }
      throw new Error(`the control plane exited (status ${exited}); its log is ${p.log}:\n${text.slice(-2000)}`);
    }
    if (Date.now() > deadline) throw new Error(`the control plane did not become ready in 180 s; its log is ${p.log}`);
    await sleep(250);
  }
}

/** `npm run demo -- stop`: ends the control plane a previous run left running. */
export async function stopControlPlane(dataDir: string): Promise<string> {
  const p = paths(dataDir);
  const prev = recorded(p.state);
  // A pid alone could belong to another process by now; only one answering at the URL is ours.
  if (!prev || !alive(prev.pid) || !(await ready(prev.url))) {
    rmSync(p.state, { force: true });
    return 'no demo control plane is running';
  }
  process.kill(prev.pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(prev.pid); i++) await sleep(100);
  if (alive(prev.pid)) throw new Error(`the control plane (pid ${prev.pid}) did not stop within 10 s`);
  rmSync(p.state, { force: true });
  return `stopped the demo control plane (pid ${prev.pid}, ${prev.url}); its data stays in ${p.data}`;
}

// Before the suite: the Node version, the system packages the tests use, and the optional keychain module.
// On Debian or Ubuntu as root with apt, missing packages are installed; otherwise this stops at once with the
// exact command to run. Used by scripts/test.mjs; `node scripts/preflight.mjs` runs it alone.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Debian/Ubuntu packages the suite needs, and why. */
export const APT_PACKAGES = {
  chromium: 'browser tests (Playwright drives /usr/bin/chromium)',
  'libsecret-1-dev': 'builds keytar, the desktop app’s keychain module',
  'gnome-keyring': 'a real keychain for the keychain tests',
  'dbus-x11': 'a private D-Bus session for the keychain tests',
  'redis-server': 'multi-node tests',
  xvfb: 'a display for anything that needs one',
};

/** Elsewhere (no dpkg): the commands those packages provide. */
const COMMANDS = ['chromium', 'redis-server', 'xvfb-run', 'dbus-run-session', 'gnome-keyring-daemon'];

/** The Node versions the project supports (README, Supported versions). */
export const SUPPORTED_NODE = { min: [20, 19], majors: [20, 22, 24] };

export class PreflightStop extends Error {}

const onPath = (cmd) =>
  (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, cmd)));

/** Packages of APT_PACKAGES that dpkg does not report installed; null when there is no dpkg (not Debian). */
export function missingAptPackages(names = Object.keys(APT_PACKAGES)) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax, not a template
  const res = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\\n', ...names], {
    encoding: 'utf8',
  });
  if (res.error) return null;
  const installed = new Set(
    res.stdout
      .split('\n')
      .map((l) => l.trim().split(' '))
      .filter(([, status]) => status === 'installed')
      .map(([name]) => name.split(':')[0]),
  );
  return names.filter((n) => !installed.has(n));
}

export function checkNode(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number);
  const [minMajor, minMinor] = SUPPORTED_NODE.min;
  if (major < minMajor || (major === minMajor && minor < minMinor)) {
    throw new PreflightStop(
      `Node ${version} is too old: this project needs Node ${minMajor}.${minMinor} or newer (tested on ${SUPPORTED_NODE.majors.join(', ')}).`,
    );
  }
  if (!SUPPORTED_NODE.majors.includes(major)) {
    return `Node ${version} is not one of the tested versions (${SUPPORTED_NODE.majors.join(', ')}); continuing.`;
  }
  return null;
}

/** Installs what is missing (root + apt) or stops with the exact command. Returns what it installed. */
export function ensureSystemPackages(log = console.log) {
  const missing = missingAptPackages();
  if (missing === null) {
    const absent = COMMANDS.filter((c) => !onPath(c));
    if (absent.length > 0) {
      throw new PreflightStop(
        `Missing commands the tests use: ${absent.join(', ')}. This is not a Debian or Ubuntu system; install ` +
          `the equivalents of these Debian packages with your package manager: ${Object.keys(APT_PACKAGES).join(' ')}.`,
      );
    }
    return [];
  }
  if (missing.length === 0) return [];
  const why = missing.map((p) => `  ${p}: ${APT_PACKAGES[p]}`).join('\n');
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !onPath('apt-get')) {
    throw new PreflightStop(
      `Missing system packages:\n${why}\nInstall them, then run the tests again:\n\n` +
        `  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(' ')}\n`,
    );
  }
  log(`Installing missing system packages with apt: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...missing],
  ]) {
    const res = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (res.status !== 0) {
      throw new PreflightStop(`"apt-get ${args.join(' ')}" failed (exit ${res.status ?? res.signal}).`);
    }
  }
  return missing;
}

/** keytar (optional, native) loads, or is built now that its system package is there. */
export function ensureKeytar(log = console.log) {
  const requireFromDesktop = createRequire(path.join(root, 'desktop', 'package.json'));
  const loads = () => {
    const res = spawnSync(process.execPath, ['-e', `require(${JSON.stringify('keytar')})`], {
      cwd: path.join(root, 'desktop'),
      encoding: 'utf8',
    });
    return res.status === 0;
  };
  if (loads()) return false;
  let dir = null;
  try {
    dir = path.dirname(requireFromDesktop.resolve('keytar/package.json'));
  } catch {
    // not installed: npm drops an optional dependency whose build failed
  }
  // Node's own headers when the system has them: never a download of headers.
  const env = { ...process.env };
  if (!env.npm_config_nodedir && existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
  const args = dir ? ['rebuild', 'keytar'] : ['install', '--no-audit', '--no-fund'];
  log(`keytar (the desktop app's keychain module) is not built: npm ${args.join(' ')}`);
  const res = spawnSync('npm', args, { cwd: root, stdio: 'inherit', env });
  if (res.status !== 0 || !loads()) {
    throw new PreflightStop(
      `keytar could not be built (npm ${args.join(' ')}). It needs libsecret-1-dev, a C++ compiler and Node's ` +
        'headers: sudo apt-get install -y libsecret-1-dev build-essential, then npm rebuild keytar.',
    );
  }
  return true;
}

export function preflight(log = console.log) {
  const note = checkNode();
  if (note) log(note);
  ensureSystemPackages(log);
  ensureKeytar(log);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    preflight();
    console.log('✓ system packages and keytar in place');
  } catch (err) {
    if (!(err instanceof PreflightStop)) throw err;
    console.error(`\n✗ ${err.message}`);
    process.exit(1);
  }
}

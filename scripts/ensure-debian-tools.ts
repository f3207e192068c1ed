// Installs Debian packages that a test suite drives, where they are missing and we may (root with
// apt-get, as on CI): `node scripts/ensure-debian-tools.ts /usr/bin/podman=podman ...`. Elsewhere it says
// how to install them; the tests that need them then skip with that notice, except under CI=true.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const missing = process.argv
  .slice(2)
  .map((arg) => arg.split('='))
  .filter(([path]) => !existsSync(path!))
  .map(([path, pkg]) => ({ path: path!, pkg: pkg! }));

if (missing.length > 0) {
  const packages = [...new Set(missing.map((m) => m.pkg))];
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log(`Installing Debian's ${packages.join(', ')} for the tests (apt-get install)...`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env });
  } else {
    console.log(
      `Tests that need ${missing.map((m) => m.path).join(', ')} will be skipped: install them with sudo apt-get install ${packages.join(' ')}.`,
    );
  }
}

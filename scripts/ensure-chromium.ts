// UI tests drive Debian's Chromium through playwright-core; never a downloaded browser. This installs the
// `chromium` package where it is missing and we may (root with apt-get, as on CI). Elsewhere it says how
// to install it; the UI tests then skip with that notice, except under CI=true where they are mandatory.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

if (!existsSync(CHROMIUM)) {
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (canInstall) {
    console.log("Installing Debian's chromium for the UI tests (apt-get install chromium)...");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
  } else {
    console.log(
      `UI tests will be skipped: ${CHROMIUM} is missing. Install Debian's chromium (sudo apt-get install chromium) to run them.`,
    );
  }
}

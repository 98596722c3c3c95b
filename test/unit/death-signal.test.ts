/**
 * The setpriv wrapper that makes codex children die with the service (src/codex/death-signal.ts):
 * found and probed where util-linux has it, absent (null, so children start directly) elsewhere.
 */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { findDeathSignalWrapper } from '../../src/codex/death-signal.js';
import { cleanupTempDirs, makeTempDir } from '../support/temp.js';

afterAll(cleanupTempDirs);

describe('findDeathSignalWrapper', () => {
  it.runIf(process.platform === 'linux' && existsSync('/usr/bin/setpriv'))('uses util-linux setpriv with --pdeathsig KILL', () => {
    expect(findDeathSignalWrapper({ dirs: ['/usr/bin'] })).toEqual({ file: '/usr/bin/setpriv', args: ['--pdeathsig', 'KILL', '--'] });
  });

  it('is null where no setpriv is found', () => {
    expect(findDeathSignalWrapper({ dirs: [makeTempDir('sb-no-setpriv-')] })).toBeNull();
  });

  it('is null off Linux (no PR_SET_PDEATHSIG)', () => {
    expect(findDeathSignalWrapper({ platform: 'darwin', dirs: ['/usr/bin'] })).toBeNull();
  });
});

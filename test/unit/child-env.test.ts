/** The codex child environment (src/codex/child-env.ts): the fixed list, codex.env, and secrets withheld. */
import { describe, expect, it } from 'vitest';
import { childEnvironment, childEnvironmentFor, NO_CODEX_ENV, NO_SECRETS } from '../../src/codex/child-env.js';
import { parseConfig } from '../../src/config/load.js';

const SOURCE = {
  PATH: '/usr/bin',
  HOME: '/home/sb',
  LANG: 'C.UTF-8',
  LC_TIME: 'de_DE.UTF-8',
  https_proxy: 'http://proxy:3128',
  OPENAI_API_KEY: 'sk-codex-own',
  SLACK_BOT_TOKEN: 'xoxb-platform',
  FEISHU_APP_SECRET: 'feishu-platform',
  RANDOM_THING: 'x',
};

describe('childEnvironment', () => {
  it('passes the fixed list and LC_* only', () => {
    const { env, withheld } = childEnvironment(SOURCE, NO_CODEX_ENV, NO_SECRETS);
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/sb',
      LANG: 'C.UTF-8',
      LC_TIME: 'de_DE.UTF-8',
      https_proxy: 'http://proxy:3128',
      OPENAI_API_KEY: 'sk-codex-own',
    });
    expect(withheld).toEqual([]);
  });

  it('adds codex.env pass and set (set wins), and withholds secrets by name and by value', () => {
    const { env, withheld } = childEnvironment(
      { ...SOURCE, DB_URL: 'postgres://u:xoxb-platform@db/x' },
      { pass: ['RANDOM_THING', 'SLACK_BOT_TOKEN', 'DB_URL', 'MISSING'], set: { HOME: '/srv', COPY: 'feishu-platform' } },
      { names: new Set(['RANDOM_THING']), values: new Set(['xoxb-platform', 'feishu-platform']) },
    );
    expect(env.HOME).toBe('/srv');
    expect(env).not.toHaveProperty('RANDOM_THING');
    expect(env).not.toHaveProperty('SLACK_BOT_TOKEN');
    expect(env).not.toHaveProperty('DB_URL');
    expect(env).not.toHaveProperty('COPY');
    expect(withheld).toEqual(['RANDOM_THING', 'SLACK_BOT_TOKEN', 'DB_URL', 'COPY']);
  });

  it('childEnvironmentFor withholds the channel credentials of a config, literal or from env:', () => {
    const raw = {
      channels: [{ id: 's', type: 'slack', mode: 'http', botToken: 'xoxb-literal', signingSecret: 'env:SIGN' }],
      dispatchers: [{ id: 'main', bindings: [{ channel: 's' }] }],
      codex: { env: { pass: ['MY_TOKEN_COPY', 'OTHER'] } },
    };
    const source = { SIGN: 'signing-from-env', MY_TOKEN_COPY: 'xoxb-literal', OTHER: 'signing-from-env', PATH: '/bin' };
    const config = parseConfig(raw, { env: source });
    const { env, withheld } = childEnvironmentFor(config, ['SIGN'], source);
    expect(env).toEqual({ PATH: '/bin' });
    expect(withheld).toEqual(['MY_TOKEN_COPY', 'OTHER']);
  });
});

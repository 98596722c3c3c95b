/**
 * The live-answer contract (test/support/adapter-contract-live.ts) against the adapters that offer
 * `live`: Slack (real Bolt) in Socket Mode and over HTTP against the fake Slack.
 */
import { describeLiveContract } from '../support/adapter-contract-live.js';
import { slackHarness } from '../support/adapter-contract/slack.js';

describeLiveContract('Slack, Socket Mode', slackHarness('socket'));
describeLiveContract('Slack, HTTP Events API', slackHarness('http'));

/**
 * The ChannelAdapter contract suite (test/support/adapter-contract.ts) run against every adapter and
 * transport: the local web chat over its real HTTP API, Slack (real Bolt) in Socket Mode and over
 * HTTP against the fake Slack, Feishu (real node-sdk) over the long connection and by webhook against
 * the fake Feishu. A new adapter adds one harness and one line here.
 */
import { describeAdapterContract } from '../support/adapter-contract.js';
import { feishuHarness } from '../support/adapter-contract/feishu.js';
import { slackHarness } from '../support/adapter-contract/slack.js';
import { webHarness } from '../support/adapter-contract/web.js';

describeAdapterContract('web chat', webHarness);
describeAdapterContract('Slack, Socket Mode', slackHarness('socket'));
describeAdapterContract('Slack, HTTP Events API', slackHarness('http'));
describeAdapterContract('Feishu, long connection', feishuHarness('websocket'));
describeAdapterContract('Feishu, webhook', feishuHarness('webhook'));
